"""The operator's manifests: its ClusterRole can grant all a server's Role holds, without escalate."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from argo_mcp_operator.handlers import WATCHED_CHILDREN
from argo_mcp_operator.kube import KINDS
from argo_mcp_operator.rbac import cluster_workflow_template_rules, namespace_rules
from argo_mcp_operator.reconcile import CLEANUP, OWN_BY_NAME, PRUNABLE
from argo_mcp_operator.render import Owner, render
from argo_mcp_operator.spec import Mode, parse_spec
from argo_mcp_operator.tls import issue

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


def _where(kind: str) -> tuple[str, str]:
    group = KINDS[kind].api_version.rpartition("/")[0]
    return group, KINDS[kind].plural


def test_operator_may_do_everything_the_reconciler_does() -> None:
    """Apply (get, create, patch) every kind render makes, list and delete what is pruned and cleaned up, and
    list and watch what the handlers watch."""
    held = permissions(load("clusterrole.yaml")["rules"])
    cr: dict[str, Any] = {
        "metadata": {"name": "srv", "namespace": "team-a", "uid": "u"},
        "spec": {"argoServer": {"url": "https://argo:2746"}, "namespaces": ["team-a", "team-b"]},
    }
    cert = issue("srv", "team-a", timedelta(days=1))
    rendered = {o["kind"] for o in render(Owner.of(cr), parse_spec(cr["spec"], "srv"), cert, "a2V5")}
    cert_manager = {
        **cr["spec"],
        "tls": {"mode": "cert-manager", "certManager": {"issuerRef": {"name": "ca"}}},
    }
    rendered |= {o["kind"] for o in render(Owner.of(cr), parse_spec(cert_manager, "srv"), None, "a2V5")}
    assert {"ClusterRole", "ClusterRoleBinding", "Secret", "Certificate"} <= rendered
    needed: set[tuple[str, str, str, str | None]] = set()
    for kind, _ in OWN_BY_NAME:  # found by name, pruned and cleaned up by name: get and delete, no list
        needed |= {(*_where(kind), verb, None) for verb in ("get", "delete")}
    for kind in rendered:
        needed |= {(*_where(kind), verb, None) for verb in ("get", "create", "patch")}
    for kind in {*PRUNABLE, *(kind for kind, _ in CLEANUP)}:
        needed |= {(*_where(kind), verb, None) for verb in ("list", "delete")}
    for kind in WATCHED_CHILDREN:
        needed |= {(*_where(kind), verb, None) for verb in ("list", "watch")}
    missing = {p for p in needed if not covered(p, held)}
    assert not missing, sorted(map(str, missing))


def test_operator_has_no_escalate_and_binds_only_auth_delegator() -> None:
    rules = load("clusterrole.yaml")["rules"]
    held = permissions(rules)
    assert not any(verb in ("escalate", "impersonate", "*") for _, _, verb, _ in held)
    assert {p for p in held if p[2] == "bind"} == {
        ("rbac.authorization.k8s.io", "clusterroles", "bind", "system:auth-delegator")
    }
    # Secrets by name only: no list or watch that would expose every Secret; Certificates by name too.
    assert {verb for _, resource, verb, _ in held if resource == "certificates"} == {
        "get",
        "create",
        "patch",
        "update",
        "delete",
    }
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


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_grants_what_its_exposed_tools_exercise(mode: Mode) -> None:
    """Every tool a deployed server exposes in `mode` (the flags serverargs gives it) has its permission in the
    Role of each target namespace, or, cluster-scoped, in the ClusterWorkflowTemplate reader. A cluster-scoped
    tool that changes something is refused by a --namespaces server (deployed servers always have one), so it
    needs no grant."""
    from argo_mcp.policy import ScopeKind
    from argo_mcp.settings import ArgoSettings, AuthMode, ScopeSettings, Settings
    from argo_mcp.tools import ALL_TOOLS
    from argo_mcp.tools.registry import ToolKind, exposed

    settings = Settings(
        argo=ArgoSettings(server_url="http://argo", auth_mode=AuthMode.NONE),
        scope=ScopeSettings(
            read_only=mode == "read-only", disable_destructive=mode == "operate", namespaces=("team-a",)
        ),
    )
    namespaced = permissions(namespace_rules(mode))
    cluster = permissions(cluster_workflow_template_rules())
    missing = []
    for tool in exposed(ALL_TOOLS, settings):
        if tool.permission is None:
            continue
        permission = tool.permission
        resource = (
            f"{permission.resource}/{permission.subresource}"
            if permission.subresource
            else permission.resource
        )
        needed = (permission.group, resource, permission.verb, None)
        if tool.scope is not None and tool.scope.kind is ScopeKind.CLUSTER:
            if tool.kind is ToolKind.READ_ONLY and not covered(needed, cluster):
                missing.append(tool.name)
        elif not covered(needed, namespaced):
            missing.append(tool.name)
    assert not missing, f"mode {mode} exposes tools its RBAC does not allow: {missing}"
    assert len(exposed(ALL_TOOLS, settings)) > 30
