"""The Dockerfile (linted by hadolint, image contract checked) and skaffold.yaml (rendered with the chart)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

from .bundle import CHART, ROOT, container_args, helm_template, one, run, tool

DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_hadolint_passes_at_the_strictest_threshold() -> None:
    proc = run(
        [str(tool("hadolint")), "--failure-threshold", "style", "--format", "json", str(DOCKERFILE)],
        check=False,
    )
    assert proc.returncode == 0, json.dumps(json.loads(proc.stdout or "[]"), indent=1) + proc.stderr


def test_hadolint_is_really_checking() -> None:
    bad = "FROM python:latest\nRUN apt-get install gcc\nUSER root\n"
    proc = run([str(tool("hadolint")), "--format", "json", "-"], check=False, stdin=bad)
    codes = {finding["code"] for finding in json.loads(proc.stdout)}
    assert proc.returncode != 0 and {"DL3007", "DL3008"} <= codes, proc.stdout


def test_image_contract() -> None:
    stages = _stages()
    assert len(stages) >= 2, "multi-stage build expected"
    builder, final = stages[0], stages[-1]
    # Both stages start FROM ${BASE_IMAGE}, whose default is an exact Python patch release on Debian
    # bookworm, or a digest (a host without a registry passes a local base, see project_image.py).
    global_args = dict(
        args.split("=", 1)
        for word, args in _instructions()[: _instructions().index(builder[0])]
        if word == "ARG"
    )
    assert re.fullmatch(
        r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?|python@sha256:[0-9a-f]{64}",
        global_args["BASE_IMAGE"],
    )
    assert final[0][1] == "${BASE_IMAGE}"
    assert builder[0][1] == "${BASE_IMAGE} AS builder"
    final_words = dict(final)
    assert final_words["USER"] == "65532:65532"
    assert json.loads(final_words["ENTRYPOINT"]) == ["argo-mcp"]
    assert final_words["EXPOSE"] == "8081"
    assert not any(word == "RUN" for word, _ in final), "the final stage copies the built prefix only"
    assert any(word == "COPY" and args.startswith("--from=builder ") for word, args in final)
    # uid 65532 has a name (kopf asks getpass.getuser() who it runs as)
    assert ("COPY", "--from=builder /etc/passwd /etc/group /etc/") in final
    labels = " ".join(args for word, args in final if word == "LABEL")
    for key in ("title", "description", "version", "revision", "created", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels
    assert 'org.opencontainers.image.base.name="${BASE_IMAGE}"' in labels
    # pip's settings for offline builds are build arguments of the throw-away builder stage only.
    assert not any(word in ("ARG", "ENV") and "PIP_INDEX_URL" in args for word, args in final)
    assert not any(word == "ARG" and args.startswith("PIP_") for word, args in final)
    all_text = DOCKERFILE.read_text()
    # No `# syntax=` directive: it makes BuildKit pull a frontend image from a registry first.
    assert not re.search(r"^#\s*syntax\s*=", all_text, flags=re.MULTILINE | re.IGNORECASE)
    for compiler in ("gcc", "build-essential", "g++", "clang"):
        assert compiler not in all_text
    # The entry point is the package's console script.
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["argo-mcp"] == "argo_mcp.__main__:main"
    assert "argo-mcp-operator" in scripts
    # ... and the operator's: the chart runs the same image with command argo-mcp-operator, which needs kopf.
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(req.startswith("kopf") for req in extras["operator"])
    # The image installs uv.lock's export (image-requirements.txt, with the operator and otel extras), then the
    # package itself without resolving again.
    installs = [args for word, args in builder if word == "RUN" and "pip install" in args]
    assert installs and "-r image-requirements.txt" in installs[0], (
        "the image installs the locked requirements"
    )
    requirements = (ROOT / "image-requirements.txt").read_text()
    assert "--extra operator" in requirements and re.search(r"^kopf==", requirements, flags=re.MULTILINE), (
        "the image must install the operator's extra (kopf)"
    )
    assert "--extra otel" in requirements and re.search(
        r"^opentelemetry-sdk==", requirements, flags=re.MULTILINE
    ), "the image must carry the tracing extra (off unless OTEL_* asks for it)"
    # Every path the build copies from the context exists and is let through by .dockerignore; `COPY .`
    # copies exactly what .dockerignore lets through (its allow-list is checked below).
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert ignore[ignore.index("*") if "*" in ignore else 0] == "*", ".dockerignore should start from nothing"
    copies = [args.split() for word, args in builder if word == "COPY"]
    assert copies, "the builder stage copies the sources"
    for *sources, _dest in copies:
        for source in sources:
            if source == ".":
                continue
            assert (ROOT / source).exists(), source
            assert f"!{source.rstrip('/')}" in [i.rstrip("/") for i in ignore], f"{source} is ignored"
    # Offline builds (no index): pip's settings point at wheels/ of the context, never at a host path.
    assert any(word == "ARG" and args == "PIP_FIND_LINKS" for word, args in builder)


def test_dockerignore_keeps_secrets_and_caches_out() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    assert lines[0] == "*"
    allowed = [line[1:].rstrip("/") for line in lines if line.startswith("!")]
    # wheels/: absent in a checkout (.gitignore); an offline build puts the wheels it installs there.
    assert sorted(allowed) == [
        "README.md",
        "argo_mcp",
        "image-requirements.txt",
        "operator",
        "pyproject.toml",
        "wheels",
    ]
    assert "/wheels/" in (ROOT / ".gitignore").read_text().splitlines()


def _substitute(value: str) -> str:
    return value.replace("{{.IMAGE_REPO_argo_mcp}}", "argo-mcp").replace(
        "{{.IMAGE_TAG_argo_mcp}}", "0a1b2c3d"
    )


def test_skaffold_builds_the_image_and_deploys_the_chart() -> None:
    config = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
    assert config["apiVersion"].startswith("skaffold/v4") and config["kind"] == "Config"
    (artifact,) = config["build"]["artifacts"]
    assert artifact["image"] == "argo-mcp"
    assert (ROOT / artifact["context"] / artifact["docker"]["dockerfile"]).resolve() == DOCKERFILE
    profiles = {p["name"]: p for p in config["profiles"]}
    assert "kind" in profiles
    assert profiles["kind"]["activation"] == [{"kubeContext": "kind-.*"}]
    assert "helm" in config["deploy"]
    for releases in (
        config["manifests"]["helm"]["releases"],
        profiles["kind"]["manifests"]["helm"]["releases"],
    ):
        (release,) = releases
        assert (ROOT / release["chartPath"]).resolve() == CHART
        sets = {k: _substitute(v) for k, v in release.get("setValueTemplates", {}).items()}
        sets.update(
            {
                k: str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in release.get("setValues", {}).items()
            }
        )
        # The values skaffold passes are accepted by the chart's schema and reach the Deployment.
        objs = helm_template(release=release["name"], namespace=release["namespace"], sets=sets)
        deploy = one(objs, "Deployment", "argo-mcp")
        assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "argo-mcp:0a1b2c3d"
        assert container_args(objs)


def test_chart_readme_shows_install_commands() -> None:
    readme = (CHART / "README.md").read_text()
    assert "helm install argo-mcp deploy/helm/argo-mcp" in readme
    assert "kubectl apply -k deploy/kustomize" in readme
    for key in yaml.safe_load((CHART / "values.yaml").read_text()):
        assert f"`{key}" in readme, f"README does not document {key}"
    assert Path(ROOT / "deploy/kustomize/overlays/example/kustomization.yaml").exists()
