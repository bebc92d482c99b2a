"""spec.targets: the targets file the operator renders is one the server accepts, with every token and CA at the
path the pod has it; the use ClusterRoles grant exactly what the server reviews; a targets change rolls the
pods only when the pod itself must change."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from argo_mcp.calls.targets import use_permission
from argo_mcp.settings import AuthMode, Settings
from argo_mcp.targets import PROJECTED_TOKEN_ROOT, TargetMode, parse_targets, target_settings
from argo_mcp_operator import constants as c
from argo_mcp_operator.chartgen import generated_helpers
from argo_mcp_operator.crd import crd
from argo_mcp_operator.reconcile import Reconciler
from argo_mcp_operator.render import Obj, Owner, render
from argo_mcp_operator.spec import SpecError, parse_spec
from tests.support.operator_api import Clock, FakeApi, resource

URL = "https://argo-server.argo.svc:2746"
TASK_KEY = "dGFzay1rZXktb2YtYXQtbGVhc3QtMzItcmFuZG9tLWJ5dGVzLi4u"
PROD: Obj = {
    "name": "prod-eu",
    "argoServer": {"url": URL, "caSecretRef": {"name": "argo-ca", "key": "ca.pem"}},
    "auth": {"mode": "k8s-service-account", "audience": "argo"},
    "namespaces": ["team-a", "team-b"],
    "mode": "operate",
}
STAGING: Obj = {
    "name": "staging",
    "argoServer": {"url": "https://argo.staging.example.com"},
    "auth": {"mode": "bearer-file", "tokenSecretRef": {"name": "staging-argo"}},
    "namespaces": ["team-a"],
    "mode": "full",
    "toolsets": ["workflows", "info"],
    "confirmDestructive": False,
}
DEV: Obj = {
    "name": "dev",
    "argoServer": {"url": "http://argo.dev:2746", "insecureSkipTLSVerify": True},
    "auth": {"mode": "bearer", "tokenSecretRef": {"name": "dev-argo", "key": "argo-token"}},
}
LOCAL: Obj = {"name": "local", "argoServer": {"url": "http://argo-server.argo:2746"}}


def spec_of(**extra: Any) -> dict[str, Any]:
    return {
        "argoServer": {"url": URL},
        "tls": {"mode": "disabled"},
        "defaultTarget": "prod-eu",
        "targets": [PROD, STAGING, DEV, LOCAL],
        **extra,
    }


def objects(spec: dict[str, Any]) -> list[Obj]:
    return render(Owner("srv", "team-a", "uid-1"), parse_spec(spec, "srv"), None, TASK_KEY)


def one(objs: list[Obj], kind: str, name: str | None = None) -> Obj:
    (found,) = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    return found


def pod(objs: list[Obj]) -> Obj:
    spec: Obj = one(objs, "Deployment")["spec"]["template"]["spec"]
    return spec


def file_of(objs: list[Obj]) -> str:
    text: str = one(objs, "ConfigMap", "srv-targets")["data"][c.TARGETS_FILE_NAME]
    return text


def test_the_rendered_targets_file_is_one_the_server_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    objs = objects(spec_of(oidcGroups={"sre": ["prod-eu", "staging"]}))
    parsed = parse_targets(file_of(objs), source="ConfigMap srv-targets")
    assert parsed.default == "prod-eu"
    assert [t.name for t in parsed.targets] == ["prod-eu", "staging", "dev", "local"]
    assert parsed.oidc_groups == {"sre": ("prod-eu", "staging")}
    prod, staging, dev, local = parsed.targets
    assert prod.mode is TargetMode.OPERATE and prod.namespaces == ("team-a", "team-b")
    assert prod.argo_server.ca_file == Path("/etc/argo-mcp/targets/prod-eu/ca/ca.pem")
    assert staging.toolsets is not None and [g.value for g in staging.toolsets] == ["workflows", "info"]
    assert staging.confirm_destructive is False
    assert dev.argo_server.insecure_skip_tls_verify and dev.auth.token_env == "ARGO_MCP_TARGET_DEV_TOKEN"
    # The server's settings for each: the token where the pod has it (never the token itself in the file).
    monkeypatch.setenv("ARGO_MCP_TARGET_DEV_TOKEN", "dev-token")
    base = Settings.model_validate({"argo": {"server_url": "http://unused", "auth_mode": "none"}})
    files = {t.name: target_settings(base, t).argo.token_file for t in parsed.targets}
    assert files["prod-eu"] == PROJECTED_TOKEN_ROOT / "prod-eu" / "token"
    assert files["staging"] == PROJECTED_TOKEN_ROOT / "staging" / "token"
    assert files["local"] == Path(c.ARGO_TOKEN_FILE)  # no audience: the server's own Argo token
    assert target_settings(base, dev).argo.token == "dev-token"
    assert local.auth.mode is AuthMode.K8S_SERVICE_ACCOUNT
    assert "token:" not in file_of(objs) and "dev-argo" not in file_of(objs)


def _mounted(pod_spec: Obj, path: str) -> Obj:
    """The volume whose mount holds ``path`` (a file inside a mounted directory)."""
    mounts = pod_spec["containers"][0]["volumeMounts"]
    (mount,) = [m for m in mounts if path.startswith(m["mountPath"].rstrip("/") + "/")]
    assert mount.get("readOnly") is True
    (volume,) = [v for v in pod_spec["volumes"] if v["name"] == mount["name"]]
    assert isinstance(volume, dict)
    return volume


def test_every_path_in_the_file_is_mounted_from_the_right_source() -> None:
    objs = objects(spec_of())
    spec = pod(objs)
    args = spec["containers"][0]["args"]
    assert args[args.index("--targets-file") + 1] == c.TARGETS_FILE
    # The ConfigMap as a directory (no subPath), so the kubelet updates it in place.
    assert _mounted(spec, c.TARGETS_FILE)["configMap"] == {"name": "srv-targets"}
    assert not [m for m in spec["containers"][0]["volumeMounts"] if "subPath" in m]
    parsed = parse_targets(file_of(objs), source="cm")
    by_name = {t.name: t for t in parsed.targets}
    prod_token = _mounted(spec, str(by_name["prod-eu"].auth.token_file))
    assert prod_token["projected"]["sources"] == [
        {"serviceAccountToken": {"path": "token", "audience": "argo", "expirationSeconds": 3600}}
    ]
    assert _mounted(spec, str(by_name["prod-eu"].argo_server.ca_file))["secret"] == {
        "secretName": "argo-ca",
        "items": [{"key": "ca.pem", "path": "ca.pem"}],
    }
    assert _mounted(spec, str(by_name["staging"].auth.token_file))["secret"] == {
        "secretName": "staging-argo",
        "items": [{"key": "token", "path": "token"}],
    }
    assert _mounted(spec, str(by_name["local"].auth.token_file))["name"] == "argo-token"
    env = spec["containers"][0]["env"]
    assert env == [
        {
            "name": "ARGO_MCP_TARGET_DEV_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": "dev-argo", "key": "argo-token"}},
        }
    ]
    names = [v["name"] for v in spec["volumes"]]
    assert len(names) == len(set(names)) and all(len(n) <= 63 for n in names)


def test_the_users_env_follows_the_target_tokens() -> None:
    extra = [{"name": "OTEL_SERVICE_NAME", "value": "mcp"}]
    env = pod(objects(spec_of(env=extra)))["containers"][0]["env"]
    assert [e["name"] for e in env] == ["ARGO_MCP_TARGET_DEV_TOKEN", "OTEL_SERVICE_NAME"]


def test_one_use_cluster_role_per_target_grants_what_the_server_reviews() -> None:
    objs = objects(spec_of())
    roles = {
        o["metadata"]["labels"][c.LABEL_TARGET]: o
        for o in objs
        if o["kind"] == "ClusterRole" and c.LABEL_TARGET in o["metadata"]["labels"]
    }
    assert sorted(roles) == ["dev", "local", "prod-eu", "staging"]
    for name, role in roles.items():
        assert role["metadata"]["name"] == f"team-a-srv-target-{name}"
        wanted = use_permission(name)
        assert role["rules"] == [
            {
                "apiGroups": [wanted.group],
                "resources": [wanted.resource],
                "resourceNames": [wanted.name],
                "verbs": [wanted.verb],
            }
        ]
        assert role["metadata"]["labels"][c.LABEL_OWNER_NAME] == "srv"  # pruned and deleted with the server
    assert not [o for o in objs if o["kind"] == "ClusterRoleBinding" and "target" in o["metadata"]["name"]]


def test_without_targets_nothing_changes() -> None:
    plain = {"argoServer": {"url": URL}, "tls": {"mode": "disabled"}}
    objs = objects(plain)
    assert not [o for o in objs if o["kind"] == "ConfigMap"]
    assert not [o for o in objs if c.LABEL_TARGET in o["metadata"]["labels"]]
    spec = pod(objs)
    assert "--targets-file" not in spec["containers"][0]["args"]
    assert "env" not in spec["containers"][0]
    assert not [v for v in spec["volumes"] if v["name"].startswith("target")]


def test_a_change_to_targets_rolls_the_pods_only_when_the_pod_must_change() -> None:
    before = objects(spec_of())
    scope_only = copy.deepcopy(spec_of())
    scope_only["targets"][0] = {**PROD, "namespaces": ["team-a"], "mode": "read-only"}
    after = objects(scope_only)
    assert one(after, "Deployment") == one(before, "Deployment")  # the server re-reads the file in place
    assert file_of(after) != file_of(before)
    new_token = copy.deepcopy(spec_of())
    new_token["targets"].append({**DEV, "name": "dev-2"})
    rolled = one(objects(new_token), "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in rolled] == ["ARGO_MCP_TARGET_DEV_TOKEN", "ARGO_MCP_TARGET_DEV_2_TOKEN"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"targets": [PROD, STAGING], "defaultTarget": None},
            "spec: defaultTarget is required with more than one target",
        ),
        ({"defaultTarget": "nope"}, "spec: defaultTarget must name one of targets"),
        (
            {"oidcGroups": {"sre": ["prod-eu", "qa"]}},
            "oidcGroups may only name targets of spec.targets; unknown: qa",
        ),
        ({"targets": [PROD, PROD]}, "targets: names must be unique; repeated: prod-eu"),
        (
            {"targets": [{**DEV, "auth": {"mode": "bearer"}}], "defaultTarget": "dev"},
            "auth.tokenSecretRef is required",
        ),
        (
            {
                "targets": [
                    {
                        **LOCAL,
                        "auth": {"mode": "bearer-file", "audience": "x", "tokenSecretRef": {"name": "s"}},
                    }
                ]
            },
            "auth.audience is only read with auth.mode k8s-service-account",
        ),
        ({"targets": [{**LOCAL, "name": "Prod"}], "defaultTarget": None}, "spec.targets[0].name"),
        ({"targets": [{**LOCAL, "name": "x" * 51}], "defaultTarget": None}, "spec.targets[0].name"),
        ({"targets": [{**PROD, "defaultNamespace": "team-c"}]}, "a target's defaultNamespace must be one of"),
    ],
)
def test_bad_targets_are_refused_naming_the_field(change: dict[str, Any], expected: str) -> None:
    raw = {k: v for k, v in {**spec_of(), **change}.items() if v is not None}
    with pytest.raises(SpecError, match=expected.replace("(", r"\(").replace("[", r"\[")):
        parse_spec(raw, "srv")


def test_crd_declares_targets_with_enums_names_and_rules() -> None:
    schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    targets = schema["properties"]["targets"]
    assert targets["x-kubernetes-list-type"] == "map" and targets["x-kubernetes-list-map-keys"] == ["name"]
    item = targets["items"]
    assert item["required"] == ["name", "argoServer"]
    assert item["properties"]["name"]["pattern"] == "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    assert item["properties"]["mode"]["enum"] == ["read-only", "operate", "full"]
    auth = item["properties"]["auth"]
    assert sorted(auth["properties"]["mode"]["enum"]) == sorted(m.value for m in AuthMode)
    assert set(auth["properties"]["tokenSecretRef"]["properties"]) == {"name", "key"}
    assert auth["x-kubernetes-validations"]
    assert {"defaultTarget", "oidcGroups"} <= set(schema["properties"])
    messages = [rule["message"] for rule in schema["x-kubernetes-validations"]]
    assert "defaultTarget must name one of targets" in messages


def test_the_chart_gets_the_same_tables() -> None:
    helpers = generated_helpers()
    for name in ("targetVolumes", "targetVolumeMounts", "targetEnv", "targetsFile", "targetUseRules"):
        assert f'{{{{- define "argo-mcp.{name}" -}}}}' in helpers, name
    assert "{{- range $t := $.Values.targets }}" in helpers
    assert '{{- if eq (dig "auth" "mode" "k8s-service-account" $t) "bearer" }}' in helpers


async def test_the_targets_config_map_goes_when_targets_do() -> None:
    api, clock = FakeApi(), Clock()
    reconciler = Reconciler(api, clock)
    await reconciler.reconcile(resource(api, targets=[LOCAL]))
    assert ("ConfigMap", "team-a", "srv-targets") in api.kinds()
    assert ("ClusterRole", None, "team-a-srv-target-local") in api.kinds()
    assert yaml.safe_load(api.objects[("ConfigMap", "team-a", "srv-targets")]["data"]["targets.yaml"])[
        "targets"
    ]
    await reconciler.reconcile(resource(api, generation=2))
    assert ("ConfigMap", "team-a", "srv-targets") not in api.kinds()
    assert ("ClusterRole", None, "team-a-srv-target-local") not in api.kinds()


def test_the_chart_values_schema_accepts_what_the_crd_does() -> None:
    """values.schema.json's target (hand-written JSON Schema) and the CRD's (from spec.py) agree on the names,
    the enums and the fields, so a target valid for the operator is valid for the chart and the other way."""
    chart = Path(__file__).resolve().parents[3] / "deploy" / "helm" / "argo-mcp" / "values.schema.json"
    schema = json.loads(chart.read_text())
    definitions = schema["definitions"]
    chart_target = definitions["target"]
    crd_target = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "properties"
    ]["targets"]["items"]
    assert set(chart_target["properties"]) == set(crd_target["properties"])
    assert sorted(chart_target["required"]) == sorted(crd_target["required"])
    name = definitions["targetName"]
    assert (name["pattern"], name["maxLength"]) == (
        crd_target["properties"]["name"]["pattern"],
        crd_target["properties"]["name"]["maxLength"],
    )
    for field in ("mode",):
        assert chart_target["properties"][field]["enum"] == crd_target["properties"][field]["enum"]
    assert (
        chart_target["properties"]["toolsets"]["items"]["enum"]
        == crd_target["properties"]["toolsets"]["items"]["enum"]
    )
    chart_auth, crd_auth = chart_target["properties"]["auth"], crd_target["properties"]["auth"]
    assert set(chart_auth["properties"]) == set(crd_auth["properties"])
    assert sorted(chart_auth["properties"]["mode"]["enum"]) == sorted(crd_auth["properties"]["mode"]["enum"])
    chart_server = chart_target["properties"]["argoServer"]["properties"]
    assert set(chart_server) == set(crd_target["properties"]["argoServer"]["properties"])
    assert set(definitions["secretKeyRef"]["properties"]) == set(
        crd_auth["properties"]["tokenSecretRef"]["properties"]
    )
    assert {"targets", "defaultTarget", "oidcGroups"} <= set(schema["properties"])
