# argo-mcp server image (also ships the operator's entry point, argo-mcp-operator).
#
#   docker build -t argo-mcp:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#
# The file uses only instructions that both BuildKit and the legacy builder (DOCKER_BUILDKIT=0) understand, and
# has no `# syntax=` line: that line makes BuildKit fetch a frontend image from a registry before it reads
# anything else, which fails on hosts without one.
#
# BASE_IMAGE is pinned to an exact Python patch release on Debian bookworm; bump it deliberately. Releases use
# the default. A host without a registry can substitute a locally made base with the same layout (Debian
# bookworm, Python 3.11 with its prefix at /usr/local, `pip` on PATH): the e2e suite makes one with debootstrap
# (tests/e2e/stack/python_base.py, imported as localhost/argo-mcp-base:bookworm-<hash>) and builds this file
# with it (tests/e2e/stack/project_image.py: --build-arg BASE_IMAGE=localhost/argo-mcp-base:bookworm-<hash>).
ARG BASE_IMAGE=python:3.11.14-slim-bookworm

FROM ${BASE_IMAGE} AS builder

# pip's own settings, for a build that cannot reach the package index. They exist only in this throw-away
# stage: nothing of the build host (certificates, index, proxy) reaches the final image. For an offline build,
# put the wheels (the locked dependencies and the build backend, hatchling) in wheels/ of the build context and
# build with `--network none --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=/src/wheels`; the e2e suite
# does exactly that, downloading the wheels on the host with the host's own pip settings (project_image.py).
ARG PIP_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_NO_INDEX

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
# The context is what .dockerignore lets through: pyproject.toml, README.md, image-requirements.txt, argo_mcp/,
# operator/ and, only when an offline build puts it there, wheels/.
COPY . ./

# Install the runtime dependencies exactly as uv.lock pins them (image-requirements.txt is generated from it,
# hashes included: the operator's and tracing extras too; tracing stays off, and unimported, unless OTEL_*
# variables ask for it), then argo-mcp's own wheel without resolving anything again, into a prefix that the
# final stage copies whole. The dependencies come as wheels; no compiler is installed in either stage.
RUN pip install --prefix=/install --require-hashes --only-binary=:all: -r image-requirements.txt \
 && pip wheel --no-deps --wheel-dir /wheels . \
 && pip install --prefix=/install --no-deps "$(ls /wheels/argo_mcp-*.whl)" \
 && groupadd --system --gid 65532 argo-mcp \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin argo-mcp

FROM ${BASE_IMAGE}

ARG BASE_IMAGE
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
      org.opencontainers.image.base.name="${BASE_IMAGE}"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

COPY --from=builder /install /usr/local

# A named account for the numeric uid (made in the builder, the same base): libraries ask who they run as, and
# kopf's peering identity calls getpass.getuser(), which fails for a uid with no passwd entry (the operator
# crashed at start without it).
COPY --from=builder /etc/passwd /etc/group /etc/

# Non-root, numeric uid/gid so Kubernetes can verify runAsNonRoot. argo-mcp needs no writable path to start
# (the root filesystem may be read-only, with no /tmp at all); only artifact downloads write, into
# --artifact-dir (default $TMPDIR/argo-mcp/artifacts), which the chart backs with an emptyDir at /tmp.
USER 65532:65532
WORKDIR /tmp

EXPOSE 8081
ENTRYPOINT ["argo-mcp"]
