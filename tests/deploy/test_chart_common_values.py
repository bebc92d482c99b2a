"""Chart values platform teams expect (argo-helm and kubernetes-mcp-server have them): an existing or annotated
ServiceAccount, RBAC managed elsewhere, OpenShift and security-context overrides, ServiceMonitor tuning, extra
and init containers, common labels, Deployment annotations and rollout settings. Each renders, passes strict
kubeconform and the upstream restricted Pod Security evaluator, and is absent by default."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .bundle import (
    NON_BUILTIN_KINDS,
    Obj,
    assert_restricted,
    by_kind,
    helm_template,
    helm_template_proc,
    kubeconform,
    load_all,
    one,
    pod_specs,
    psa_check,
)

RBAC_KINDS = ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")
UID_KEYS = ("runAsUser", "runAsGroup", "fsGroup")
# A sidecar and an init container as a user would write them: restricted themselves.
RESTRICTED_SC: Obj = {
    "runAsNonRoot": True,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
SIDECAR: Obj = {
    "name": "oauth-proxy",
    "image": "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
    "args": ["--upstream=https://127.0.0.1:8081"],
    "ports": [{"name": "proxy", "containerPort": 4180}],
    "resources": {"limits": {"memory": "64Mi"}},
    "securityContext": RESTRICTED_SC,
}
INIT: Obj = {
    "name": "wait-for-argo",
    "image": "busybox:1.36",
    "command": ["sh", "-c", "true"],
    "resources": {"limits": {"memory": "16Mi"}},
    "securityContext": RESTRICTED_SC,
}
# Every value of this file at once, as a platform team would set them (plus the optional objects they touch).
EVERYTHING: Obj = {
    "commonLabels": {"team": "platform", "cost-center": "cc-42"},
    "serviceAccount": {
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/argo-mcp"}
    },
    "deploymentAnnotations": {"reloader.stakater.com/auto": "true"},
    "revisionHistoryLimit": 3,
    "terminationGracePeriodSeconds": 45,
    "initContainers": [INIT],
    "extraContainers": [SIDECAR],
    "podSecurityContext": {"supplementalGroups": [4000]},
    "containerSecurityContext": {"runAsGroup": 10001},
    "serviceMonitor": {
        "enabled": True,
        "interval": "30s",
        "scrapeTimeout": "10s",
        "relabelings": [{"targetLabel": "cluster", "replacement": "prod-eu"}],
        "metricRelabelings": [{"sourceLabels": ["__name__"], "regex": "python_gc_.*", "action": "drop"}],
    },
    "podDisruptionBudget": {"enabled": True},
    "operator": {"enabled": True},
}


def _pod(objs: list[Obj]) -> Obj:
    spec: Obj = one(objs, "Deployment", "argo-mcp")["spec"]["template"]["spec"]
    return spec


def _kubeconform_valid(manifests: str) -> None:
    result = kubeconform(manifests)
    summary = json.loads(result.stdout)
    bad = [r for r in summary["resources"] if r["status"] not in ("statusValid", "statusSkipped")]
    assert result.returncode == 0 and not bad, json.dumps(bad or summary, indent=1)
    kinds = [o["kind"] for o in load_all(manifests)]
    checked = [k for k in kinds if k not in NON_BUILTIN_KINDS]
    assert summary["summary"]["valid"] == len(checked), summary


def _restricted(manifests: str, *, fixed_uid: bool = True) -> list[str]:
    code, results = psa_check(manifests)
    assert code == 0, json.dumps([r for r in results if not r["allowed"]], indent=1)
    names = []
    for name, spec in pod_specs(load_all(manifests)):
        assert_restricted(name, spec, fixed_uid=fixed_uid)
        names.append(name)
    return names


@pytest.mark.parametrize(
    "values",
    [EVERYTHING, {"openshift": True, "operator": {"enabled": True}}],
    ids=["everything", "openshift"],
)
def test_values_render_schema_valid_restricted_objects(values: Obj) -> None:
    proc = helm_template_proc(values=values)
    assert proc.returncode == 0, proc.stderr
    _kubeconform_valid(proc.stdout)
    names = _restricted(proc.stdout, fixed_uid=not values.get("openshift"))
    assert set(names) >= {
        "Deployment/argo-mcp",
        "Deployment/argo-mcp-operator",
        "Pod/argo-mcp-test-initialize",
    }


def test_kubeconform_checks_the_extra_containers() -> None:
    """Guards the validation above: a misspelt field of a user's sidecar fails the strict schema check."""
    proc = helm_template_proc(values={"extraContainers": [{**SIDECAR, "imagePullPolicyy": "Always"}]})
    assert proc.returncode == 0, proc.stderr
    result = kubeconform(proc.stdout)
    assert result.returncode != 0 and "imagePullPolicyy" in result.stdout, result.stdout


def test_a_sidecar_that_is_not_restricted_is_caught() -> None:
    """The restricted check covers the user's containers too: a root sidecar is refused, not waved through."""
    root = {**SIDECAR, "securityContext": {**RESTRICTED_SC, "runAsNonRoot": False, "runAsUser": 0}}
    proc = helm_template_proc(values={"extraContainers": [root]})
    code, results = psa_check(proc.stdout)
    assert code == 1
    assert any("runAsNonRoot" in " ".join(r["violations"]) for r in results if not r["allowed"])


def test_service_account_create_name_and_annotations() -> None:
    objs = helm_template(values=EVERYTHING)
    account = one(objs, "ServiceAccount", "argo-mcp")
    assert account["metadata"]["annotations"] == EVERYTHING["serviceAccount"]["annotations"]
    assert "annotations" not in one(helm_template(), "ServiceAccount")["metadata"]

    objs = helm_template(values={"serviceAccount": {"name": "mcp-identity"}})
    assert one(objs, "ServiceAccount")["metadata"]["name"] == "mcp-identity"
    assert _pod(objs)["serviceAccountName"] == "mcp-identity"

    # An existing account: not created, and everything that names the server's identity names it.
    objs = helm_template(values={"serviceAccount": {"create": False, "name": "wi-argo-mcp"}})
    assert not by_kind(objs, "ServiceAccount")
    assert _pod(objs)["serviceAccountName"] == "wi-argo-mcp"
    assert one(objs, "Pod")["spec"]["serviceAccountName"] == "wi-argo-mcp", "the helm test Pod too"
    bindings = by_kind(objs, "RoleBinding") + by_kind(objs, "ClusterRoleBinding")
    assert len(bindings) == 3  # the Role's, auth-delegator's and the ClusterWorkflowTemplate reader's
    for binding in bindings:
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "wi-argo-mcp", "namespace": "argo-mcp"}
        ], binding["metadata"]["name"]


def test_an_existing_service_account_needs_its_name() -> None:
    proc = helm_template_proc(values={"serviceAccount": {"create": False}})
    assert proc.returncode != 0
    assert "serviceAccount.name is required with serviceAccount.create=false" in proc.stderr, proc.stderr


def test_rbac_create_false_leaves_rbac_to_gitops() -> None:
    objs = helm_template(values={"rbac": {"create": False}, "namespaces": ["a", "b"]})
    assert not [o for o in objs if o["kind"] in RBAC_KINDS]
    assert one(objs, "ServiceAccount") and one(objs, "Deployment")
    defaults = helm_template(values={"namespaces": ["a", "b"]})
    assert len(by_kind(defaults, "RoleBinding")) == 2 and by_kind(defaults, "ClusterRoleBinding")
    # The operator's own RBAC is not the server's: it stays.
    objs = helm_template(values={"rbac": {"create": False}, "operator": {"enabled": True}})
    names = {f"{o['kind']}/{o['metadata']['name']}" for o in objs if o["kind"] in RBAC_KINDS}
    assert names and all("operator" in n for n in names), names


def test_openshift_names_no_uid_in_any_pod() -> None:
    objs = helm_template(values={"openshift": True, "operator": {"enabled": True}})
    specs = dict(pod_specs(objs))
    assert len(specs) == 3
    for name, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert not set(UID_KEYS) & set(spec["securityContext"]), name
        for container in spec["containers"]:
            assert not set(UID_KEYS) & set(container["securityContext"]), (name, container["name"])
            assert container["securityContext"]["runAsNonRoot"] is True
    # kopf asks who it runs as (getpass.getuser): an assigned UID has no passwd entry, so USER answers.
    operator = specs["Deployment/argo-mcp-operator"]["containers"][0]
    assert {"name": "USER", "value": "argo-mcp"} in operator["env"]
    pod = _pod(helm_template())
    assert pod["securityContext"]["runAsUser"] == pod["securityContext"]["fsGroup"] == 65532


def test_security_context_entries_merge_and_null_removes_one() -> None:
    pod = _pod(helm_template(values=EVERYTHING))
    assert pod["securityContext"]["supplementalGroups"] == [4000]
    assert pod["securityContext"]["runAsUser"] == 65532, "the other entries stay"
    (server, sidecar) = pod["containers"]
    assert server["securityContext"]["runAsGroup"] == 10001
    assert server["securityContext"]["runAsUser"] == 65532
    assert server["securityContext"]["readOnlyRootFilesystem"] is True
    assert sidecar["name"] == "oauth-proxy"

    # runAsUser: null honoured (an arbitrary UID from the platform), at both levels.
    values: Obj = {
        "podSecurityContext": {"runAsUser": None, "fsGroup": None},
        "containerSecurityContext": {"runAsUser": None},
    }
    proc = helm_template_proc(values=values)
    assert proc.returncode == 0, proc.stderr
    pod = _pod(load_all(proc.stdout))
    assert "runAsUser" not in pod["securityContext"] and "fsGroup" not in pod["securityContext"]
    assert pod["securityContext"]["runAsGroup"] == 65532
    assert "runAsUser" not in pod["containers"][0]["securityContext"]
    code, results = psa_check(proc.stdout)
    assert code == 0, results


def test_service_monitor_scrape_timeout_and_relabelings() -> None:
    monitor = one(helm_template(values=EVERYTHING), "ServiceMonitor")
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["scrapeTimeout"] == "10s"
    assert endpoint["relabelings"] == EVERYTHING["serviceMonitor"]["relabelings"]
    assert endpoint["metricRelabelings"] == EVERYTHING["serviceMonitor"]["metricRelabelings"]
    (plain,) = one(helm_template(values={"serviceMonitor": {"enabled": True}}), "ServiceMonitor")["spec"][
        "endpoints"
    ]
    assert not {"scrapeTimeout", "relabelings", "metricRelabelings"} & set(plain)


def test_init_and_extra_containers_join_the_server_pod() -> None:
    pod = _pod(helm_template(values=EVERYTHING))
    assert pod["initContainers"] == [INIT]
    assert [c["name"] for c in pod["containers"]] == ["argo-mcp", "oauth-proxy"]
    assert pod["containers"][1] == SIDECAR
    plain = _pod(helm_template())
    assert "initContainers" not in plain and len(plain["containers"]) == 1


def test_common_labels_reach_every_object_and_pod_but_no_selector() -> None:
    objs = helm_template(values=EVERYTHING)
    for obj in objs:
        labels = obj["metadata"].get("labels", {})
        if obj["kind"] == "CustomResourceDefinition":
            continue  # the operator's CRD is shared by every release, not this release's object
        assert labels.get("team") == "platform" and labels.get("cost-center") == "cc-42", (
            f"{obj['kind']}/{obj['metadata']['name']}"
        )
    for kind, name in (("Deployment", "argo-mcp"), ("Deployment", "argo-mcp-operator")):
        deploy = one(objs, kind, name)
        assert deploy["spec"]["template"]["metadata"]["labels"]["team"] == "platform"
        assert "team" not in deploy["spec"]["selector"]["matchLabels"]
    assert "team" not in one(objs, "Service")["spec"]["selector"]
    assert "team" not in one(objs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"]
    assert "team" not in one(objs, "ServiceMonitor")["spec"]["selector"]["matchLabels"]


def test_deployment_annotations_revision_history_and_grace_period() -> None:
    deploy = one(helm_template(values=EVERYTHING), "Deployment", "argo-mcp")
    assert deploy["metadata"]["annotations"] == {"reloader.stakater.com/auto": "true"}
    assert "reloader.stakater.com/auto" not in deploy["spec"]["template"]["metadata"]["annotations"]
    assert deploy["spec"]["revisionHistoryLimit"] == 3
    assert deploy["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 45
    zero = one(helm_template(values={"revisionHistoryLimit": 0}), "Deployment")
    assert zero["spec"]["revisionHistoryLimit"] == 0, "0 (keep none) is a value, not unset"
    plain = one(helm_template(), "Deployment")
    assert "annotations" not in plain["metadata"]
    assert "revisionHistoryLimit" not in plain["spec"]
    assert "terminationGracePeriodSeconds" not in plain["spec"]["template"]["spec"]


BAD: list[tuple[Obj, str]] = [
    ({"serviceAccount": {"create": "yes"}}, "at '/serviceAccount/create'"),
    ({"serviceAccount": {"name": "Not_A_Name"}}, "at '/serviceAccount/name'"),
    ({"serviceAccount": {"annotations": {"a": 1}}}, "at '/serviceAccount/annotations/a'"),
    ({"rbac": {"create": "no"}}, "at '/rbac/create'"),
    ({"rbac": {"enabled": False}}, "additional properties 'enabled' not allowed"),
    ({"openshift": "true"}, "at '/openshift'"),
    ({"podSecurityContext": []}, "at '/podSecurityContext'"),
    ({"revisionHistoryLimit": -1}, "at '/revisionHistoryLimit'"),
    ({"terminationGracePeriodSeconds": "30s"}, "at '/terminationGracePeriodSeconds'"),
    ({"initContainers": [{"name": "x"}]}, "at '/initContainers/0'"),
    ({"extraContainers": [{"image": "x"}]}, "at '/extraContainers/0'"),
    ({"commonLabels": {"team": 7}}, "at '/commonLabels/team'"),
    ({"deploymentAnnotations": {"a": True}}, "at '/deploymentAnnotations/a'"),
    ({"serviceMonitor": {"scrapeTimeout": "10"}}, "at '/serviceMonitor/scrapeTimeout'"),
    ({"serviceMonitor": {"relabelings": {"a": 1}}}, "at '/serviceMonitor/relabelings'"),
    ({"serviceMonitor": {"metricRelabelings": ["drop"]}}, "at '/serviceMonitor/metricRelabelings/0'"),
]


@pytest.mark.parametrize(("values", "message"), BAD, ids=[m for _, m in BAD])
def test_schema_rejects_bad_values(values: dict[str, Any], message: str) -> None:
    proc = helm_template_proc(values=values)
    assert proc.returncode != 0, f"accepted {values}"
    assert message in proc.stderr, proc.stderr


def test_defaults_render_as_before() -> None:
    """The defaults add nothing: the Kustomize base (generated from the chart) and the operator stay equal."""
    objs = helm_template()
    pod = _pod(objs)
    assert list(pod["securityContext"]) == [
        "runAsNonRoot",
        "runAsUser",
        "runAsGroup",
        "fsGroup",
        "seccompProfile",
    ]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
