"""The Kustomize components change one setting each and give what the Helm chart gives for the same values.

Each case builds an overlay (the base, a local-config settings ConfigMap, some components) with the kustomize
built into kubectl, and compares it with `helm template` of the base's values plus the equivalent ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .bundle import (
    BASE_VALUES,
    KUSTOMIZE,
    Obj,
    container_args,
    helm_template,
    kubeconform,
    kubectl,
    kustomize_build,
    normalise,
    one,
)

COMPONENTS = KUSTOMIZE / "components"
URL = "https://argo-server.argo.svc:2746"
ISSUER = "https://dex.example.com"
SETTINGS = {"argoServerUrl": URL, "namespace": "argo", "oidcIssuer": ISSUER}

# component -> the chart values that mean the same
CASES: dict[str, tuple[tuple[str, ...], Obj]] = {
    "argo-server-url": (("argo-server-url",), {"argoServer": {"url": URL}}),
    "workflow-namespace": (("workflow-namespace",), {"namespaces": ["argo"]}),
    "mode-operate": (("mode-operate",), {"mode": "operate"}),
    "mode-full": (("mode-full",), {"mode": "full"}),
    "inbound-auth-none": (("inbound-auth-none",), {"inboundAuth": {"mode": "none"}}),
    "inbound-auth-oidc": (
        ("inbound-auth-oidc",),
        {"inboundAuth": {"mode": "oidc", "oidc": {"issuer": ISSUER}}},
    ),
    "all": (
        ("argo-server-url", "workflow-namespace", "mode-full", "inbound-auth-none"),
        {"argoServer": {"url": URL}, "namespaces": ["argo"], "mode": "full", "inboundAuth": {"mode": "none"}},
    ),
}


def _overlay(root: Path, components: tuple[str, ...], kustomize: Path = KUSTOMIZE) -> Path:
    """An overlay in ``root`` next to a copy of deploy/kustomize (kustomize wants relative paths)."""
    tree = root / "kustomize"
    if not tree.exists():
        shutil.copytree(kustomize, tree)
    overlay = tree / "overlays" / "under-test"
    overlay.mkdir(parents=True, exist_ok=True)
    (overlay / "settings.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "argo-mcp-settings",
                    "annotations": {"config.kubernetes.io/local-config": "true"},
                },
                "data": SETTINGS,
            }
        )
    )
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": ["../../base", "settings.yaml"],
                "components": [f"../../components/{name}" for name in components],
            }
        )
    )
    return overlay


def _merge(base: Obj, extra: Obj) -> Obj:
    out: Obj = json.loads(json.dumps(base))
    for key, value in extra.items():
        out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_component_equals_the_chart_with_the_same_value(case: str, tmp_path: Path) -> None:
    components, values = CASES[case]
    built = kustomize_build(_overlay(tmp_path, components))
    helm = normalise(
        helm_template(release="argo-mcp", namespace="argo-mcp", values=_merge(BASE_VALUES, values))
    )
    if "mode-full" in components:
        # The chart omits --read-only in full mode; the component turns it off in place (--no-read-only), so
        # the arguments after it keep their positions for the other components. The same setting.
        container_args(built).remove("--no-read-only")
    kustomize = normalise(built)
    assert not [o for o in kustomize.values() if o["kind"] == "ConfigMap"], "the settings are local-config"
    assert sorted(helm) == sorted(kustomize)
    for key, obj in helm.items():
        assert obj == kustomize[key], (
            f"{key} differs\n helm:      {json.dumps(obj, sort_keys=True)}\n"
            f" kustomize: {json.dumps(kustomize[key], sort_keys=True)}"
        )


def test_all_components_give_valid_manifests(tmp_path: Path) -> None:
    overlay = _overlay(tmp_path, CASES["all"][0])
    rendered = subprocess.run(
        [kubectl(), "kustomize", str(overlay)], capture_output=True, text=True, check=True
    )
    result = kubeconform(rendered.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    args = container_args(kustomize_build(overlay))
    assert args[args.index("--auth-inbound") + 1] == "none" and "--inbound-audience" not in args
    assert one(kustomize_build(overlay), "Role")["metadata"]["namespace"] == "argo"


def test_a_component_refuses_a_base_whose_arguments_moved(tmp_path: Path) -> None:
    """The guard: a base whose flag order changed makes the build fail instead of editing the wrong flag."""
    copy = tmp_path / "kustomize"
    shutil.copytree(KUSTOMIZE, copy)
    deployment = copy / "base" / "deployment.yaml"
    deployment.write_text(
        deployment.read_text().replace("- --read-only\n", "- --log-level\n        - debug\n", 1)
    )
    overlay = _overlay(tmp_path, ("mode-operate",))
    result = subprocess.run(
        [kubectl(), "kustomize", str(overlay)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "test" in result.stderr.lower(), result.stderr


def test_every_component_is_documented_and_tested() -> None:
    present = {p.name for p in COMPONENTS.iterdir() if p.is_dir()}
    tested = {name for components, _ in CASES.values() for name in components}
    assert present == tested
    readme = (COMPONENTS / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in present)
