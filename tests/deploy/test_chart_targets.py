"""The chart's targets (several Argo servers): what it renders is valid, admitted by restricted Pod Security, and
a targets file the server accepts with every token and CA where the pod has it; bad values fail at render."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from .bundle import (
    CI_VALUES,
    Obj,
    helm_template,
    helm_template_proc,
    kubeconform,
    one,
    psa_check,
    render_notes,
)

TARGETS = CI_VALUES / "targets-values.yaml"


def _pod(objs: list[Obj]) -> Obj:
    spec: Obj = one(objs, "Deployment")["spec"]["template"]["spec"]
    return spec


def _mounted(pod: Obj, path: str) -> Obj:
    (mount,) = [
        m for m in pod["containers"][0]["volumeMounts"] if path.startswith(m["mountPath"].rstrip("/") + "/")
    ]
    assert mount["readOnly"] is True and "subPath" not in mount
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert isinstance(volume, dict)
    return volume


def test_the_chart_targets_file_is_one_the_server_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    targets = importlib.import_module("argo_mcp.targets")
    objs = helm_template(release="argo-mcp", namespace="tools", values_files=[TARGETS])
    pod = _pod(objs)
    args = pod["containers"][0]["args"]
    path = args[args.index("--targets-file") + 1]
    config = one(objs, "ConfigMap", "argo-mcp-targets")
    assert _mounted(pod, path)["configMap"] == {"name": "argo-mcp-targets"}
    parsed = targets.parse_targets(config["data"][Path(path).name], source="chart")
    assert parsed.default == "prod-eu" and [t.name for t in parsed.targets] == ["prod-eu", "staging", "dev"]
    prod, staging, dev = parsed.targets
    projected = _mounted(pod, str(prod.auth.token_file))["projected"]["sources"][0]["serviceAccountToken"]
    assert projected["audience"] == "argo" and projected["path"] == "token"
    assert prod.auth.token_file == targets.PROJECTED_TOKEN_ROOT / "prod-eu" / "token"
    assert _mounted(pod, str(prod.argo_server.ca_file))["secret"]["secretName"] == "argo-ca"
    assert _mounted(pod, str(staging.auth.token_file))["secret"] == {
        "secretName": "staging-argo-token",
        "items": [{"key": "token", "path": "token"}],
    }
    (env,) = pod["containers"][0]["env"]
    assert env == {
        "name": dev.auth.token_env,
        "valueFrom": {"secretKeyRef": {"name": "dev-argo-token", "key": "token"}},
    }
    roles = {
        o["metadata"]["name"]: o["rules"]
        for o in objs
        if o["kind"] == "ClusterRole" and "argo-mcp.io/target" in o["metadata"]["labels"]
    }
    assert roles == {
        f"tools-argo-mcp-target-{name}": [
            {
                "apiGroups": ["argo-mcp.io"],
                "resources": ["targets"],
                "resourceNames": [name],
                "verbs": ["use"],
            }
        ]
        for name in ("prod-eu", "staging", "dev")
    }


def test_the_operator_renders_two_targets_into_valid_restricted_objects() -> None:
    """The operator's objects for the same targets, through kubeconform and the Pod Security evaluator."""
    render = importlib.import_module("argo_mcp_operator.render")
    spec_module = importlib.import_module("argo_mcp_operator.spec")
    values = yaml.safe_load(TARGETS.read_text())
    spec = spec_module.parse_spec({**values, "tls": {"mode": "disabled"}}, "srv")
    objs = render.render(
        render.Owner("srv", "tools", "uid"), spec, None, "c2VhbC1rZXktb2YtYXQtbGVhc3QtMzItYnl0ZXMtLS0tLQ=="
    )
    manifests = yaml.safe_dump_all(objs)
    result = kubeconform(manifests)
    summary = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(summary, indent=1)
    code, results = psa_check(manifests)
    assert code == 0 and results, json.dumps(results, indent=1)
    assert {"ConfigMap", "ClusterRole"} <= {o["kind"] for o in objs}


def test_a_scope_change_of_a_target_does_not_roll_the_pods() -> None:
    """The server re-reads the mounted file: a changed namespace list changes the ConfigMap, not the pod."""
    values = {
        **yaml.safe_load(TARGETS.read_text()),
        "tls": {"mode": "disabled"},
    }  # no fresh certificate each time
    before = helm_template(values=values)
    values["targets"][0]["namespaces"] = ["team-a"]
    after = helm_template(values=values)
    assert one(after, "ConfigMap")["data"] != one(before, "ConfigMap")["data"]
    assert one(after, "Deployment")["spec"]["template"] == one(before, "Deployment")["spec"]["template"]


LOCAL = {"name": "local", "argoServer": {"url": "http://argo-server.argo:2746"}}
OTHER = {"name": "other", "argoServer": {"url": "http://argo.other:2746"}}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"targets": [LOCAL, OTHER]}, "defaultTarget is required with more than one target"),
        ({"targets": [LOCAL, LOCAL], "defaultTarget": "local"}, 'the name "local" is repeated'),
        ({"targets": [LOCAL], "defaultTarget": "prod"}, 'defaultTarget "prod" must name one of targets'),
        ({"targets": [LOCAL], "oidcGroups": {"sre": ["prod"]}}, 'oidcGroups[sre] names "prod"'),
        (
            {"targets": [{**LOCAL, "namespaces": ["a"], "defaultNamespace": "b"}]},
            'targets[local].defaultNamespace "b" must be one of its namespaces',
        ),
    ],
)
def test_inconsistent_targets_fail_with_a_clear_message(values: dict[str, Any], message: str) -> None:
    proc = helm_template_proc(values=values)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({**LOCAL, "name": "Prod"}, "name"),
        ({**LOCAL, "auth": {"mode": "bearer"}}, "tokenSecretRef"),
        ({**LOCAL, "auth": {"mode": "token"}}, "mode"),
        ({**LOCAL, "auth": {"tokenSecretRef": {"name": "s"}}}, "auth"),
        ({**LOCAL, "toolsets": ["everything"]}, "toolsets"),
        ({**LOCAL, "mode": "admin"}, "mode"),
        ({**LOCAL, "argoServer": {"url": "ftp://argo"}}, "url"),
        ({**LOCAL, "token": "secret"}, "token"),
    ],
)
def test_values_schema_rejects_bad_targets(target: dict[str, Any], message: str) -> None:
    proc = helm_template_proc(values={"targets": [target]})
    assert proc.returncode != 0, f"accepted {target}"
    assert "values don't meet the specifications of the schema" in proc.stderr
    assert message in proc.stderr, proc.stderr


def test_notes_name_each_target_and_its_cluster_role(tmp_path: Path) -> None:
    notes = render_notes(tmp_path, "-f", str(TARGETS))
    for name in ("prod-eu", "staging", "dev"):
        assert f"ClusterRole default-argo-mcp-target-{name})" in notes, notes
    assert "--clusterrole=default-argo-mcp-target-prod-eu" in notes
    (tmp_path / "plain").mkdir()
    assert "Targets" not in render_notes(tmp_path / "plain")
