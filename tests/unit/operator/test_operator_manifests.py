"""The operator's manifests: its ClusterRole can grant all a server's Role holds, without escalate."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from argo_mcp_operator.rbac import cluster_workflow_template_rules, namespace_rules
from argo_mcp_operator.spec import Mode

OPERATOR_DIR = Path(__file__).resolve().parents[3] / "deploy" / "kustomize" / "operator"
MODES: list[Mode] = ["read-only", "operate", "full"]


def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((OPERATOR_DIR / name).read_text())
    assert isinstance(doc, dict)
    return doc


def permissions(rules: list[dict[str, Any]]) -> set[tuple[str, str, str, str | None]]:
    """Expand rules into (group, resource, verb, name) tuples; name None means any name."""
    out: set[tuple[str, str, str, str | None]] = set()
    for rule in rules:
        names = rule.get("resourceNames") or [None]
        for group, resource, verb, name in itertools.product(
            rule["apiGroups"], rule["resources"], rule["verbs"], names
        ):
            out.add((group, resource, verb, name))
    return out


def covered(needed: tuple[str, str, str, str | None], held: set[tuple[str, str, str, str | None]]) -> bool:
    group, resource, verb, name = needed
    return (group, resource, verb, None) in held or (name is not None and needed in held)


@pytest.mark.parametrize("mode", MODES)
def test_operator_holds_every_permission_it_grants(mode: Mode) -> None:
    held = permissions(load("clusterrole.yaml")["rules"])
    granted = permissions(namespace_rules(mode, ["any-secret-name"]) + cluster_workflow_template_rules())
    missing = {p for p in granted if not covered(p, held)}
    assert not missing, (
        f"the operator could not create this Role without escalate: {sorted(map(str, missing))}"
    )


def test_operator_has_no_escalate_and_binds_only_auth_delegator() -> None:
    rules = load("clusterrole.yaml")["rules"]
    held = permissions(rules)
    assert not any(verb in ("escalate", "impersonate", "*") for _, _, verb, _ in held)
    assert {p for p in held if p[2] == "bind"} == {
        ("rbac.authorization.k8s.io", "clusterroles", "bind", "system:auth-delegator")
    }
    # Secrets by name only: no list or watch that would expose every Secret.
    assert {verb for _, resource, verb, _ in held if resource == "secrets"} == {
        "get",
        "create",
        "patch",
        "update",
        "delete",
    }


def test_deployment_runs_one_standalone_replica() -> None:
    deployment = load("deployment.yaml")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["argo-mcp-operator"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert (
        deployment["spec"]["template"]["spec"]["serviceAccountName"]
        == load("serviceaccount.yaml")["metadata"]["name"]
    )


def test_kustomization_lists_every_manifest() -> None:
    kustomization = load("kustomization.yaml")
    files = {p.name for p in OPERATOR_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files | {"../../crds"}
