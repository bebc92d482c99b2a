# syntax=docker/dockerfile:1
# argo-mcp server image (also ships the operator's entry point, argo-mcp-operator).
#
#   docker build -t argo-mcp:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#
# The base image is pinned to an exact Python patch release on Debian bookworm; bump it deliberately.

FROM python:3.11.14-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY argo_mcp ./argo_mcp
COPY operator ./operator

# Build the wheel, then install it with its runtime dependencies (and the operator's extra) into a prefix
# that the final stage copies whole. The dependencies come as wheels; no compiler is installed in either stage.
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && pip install --prefix=/install "$(ls /wheels/argo_mcp-*.whl)[operator]"

FROM python:3.11.14-slim-bookworm

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown

LABEL org.opencontainers.image.title="argo-mcp" \
      org.opencontainers.image.description="MCP server that lets AI agents operate Argo Workflows" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/argo-mcp/argo-mcp" \
      io.modelcontextprotocol.server.name="io.github.argo-mcp/argo-mcp" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.14-slim-bookworm"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

COPY --from=builder /install /usr/local

# Non-root, numeric uid/gid so Kubernetes can verify runAsNonRoot; the root filesystem is mounted read-only in
# the cluster, writable scratch space is an emptyDir at /tmp.
USER 65532:65532
WORKDIR /tmp

EXPOSE 8081
ENTRYPOINT ["argo-mcp"]
