"""The chart's defaults next to argo-helm's `argo-workflows` chart: the NetworkPolicy's egress peer is that
chart's server, in the namespace of the default Argo URL, and the target namespaces are stated plainly.

argo-helm's `charts/argo-workflows` labels the server pods with `argo-workflows.labels` (component and name
"server") and selects them from its server Service with `argo-workflows.selectorLabels`:
`app.kubernetes.io/name: <chart name>-server` (the chart name is "argo-workflows" without nameOverride) and
`app.kubernetes.io/instance: <release>`; the pods also carry component, part-of, managed-by, version, and in
recent chart versions `app: server`. Its `controller.workflowNamespaces` defaults to `[default]`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scripts.gen.chart_readme import rows

from .bundle import (
    CHART,
    Obj,
    container_args,
    flag_value,
    helm_template,
    helm_template_proc,
    one,
    render_notes,
)

CIDRS = {"kubeApiServerCIDRs": ["10.96.0.1/32"]}


def argo_helm_server_pod_labels(release: str) -> dict[str, str]:
    """The labels argo-helm's argo-workflows chart puts on its server pods (default server.name, no nameOverride)."""
    return {
        "helm.sh/chart": "argo-workflows-1.0.18",
        "app.kubernetes.io/name": "argo-workflows-server",
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/component": "server",
        "app": "server",
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/part-of": "argo-workflows",
        "app.kubernetes.io/version": "v4.0.6",
    }


def _argo_peers(objs: list[Obj]) -> list[Obj]:
    policy = one(objs, "NetworkPolicy")
    (argo,) = [rule for rule in policy["spec"]["egress"] if rule["ports"][0]["port"] == 2746]
    assert argo["ports"] == [{"protocol": "TCP", "port": 2746}]
    peers: list[Obj] = argo["to"]
    return peers


def _selects(peer: Obj, namespace: str, pod_labels: dict[str, str]) -> bool:
    """Whether a NetworkPolicyPeer (matchLabels only) selects a pod with these labels in this namespace."""
    ns_labels = {"kubernetes.io/metadata.name": namespace}
    ns_match: dict[str, str] = peer["namespaceSelector"].get("matchLabels", {})
    pod_match: dict[str, str] = peer["podSelector"].get("matchLabels", {})
    return ns_match.items() <= ns_labels.items() and pod_match.items() <= pod_labels.items()


@pytest.mark.parametrize(("namespace", "release"), [("tools", "argo-workflows"), ("ci", "wf")])
def test_default_egress_peer_is_the_argo_helm_server_the_default_url_names(
    namespace: str, release: str
) -> None:
    values: Obj = {"networkPolicy": {"enabled": True, **CIDRS}, "argoServer": {"argoHelmRelease": release}}
    objs = helm_template(namespace=namespace, values=values)
    url = flag_value(container_args(objs), "--argo-server-url")
    assert url is not None
    service, url_namespace, svc = (urlsplit(url).hostname or "").split(".")
    assert (svc, url_namespace) == ("svc", namespace)
    assert urlsplit(url).port == 2746
    (peer,) = _argo_peers(objs)
    assert peer["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": url_namespace}}
    assert peer["podSelector"] == {
        "matchLabels": {
            "app.kubernetes.io/name": "argo-workflows-server",
            "app.kubernetes.io/instance": release,
        }
    }
    assert _selects(peer, namespace, argo_helm_server_pod_labels(release))
    # Not the pods of another argo-helm release, of the upstream manifests, or in another namespace.
    assert not _selects(peer, namespace, argo_helm_server_pod_labels("other"))
    assert not _selects(peer, namespace, {"app": "argo-server"})
    assert not _selects(peer, "argo", argo_helm_server_pod_labels(release))
    assert service.removesuffix("-server").endswith("argo-workflows")


def test_another_argo_install_needs_its_own_egress_peer() -> None:
    values: Obj = {
        "networkPolicy": {"enabled": True, **CIDRS},
        "argoServer": {"url": "https://argo-server.argo.svc:2746"},
    }
    proc = helm_template_proc(values=values)
    assert proc.returncode != 0
    assert "networkPolicy.argoServer is required when argoServer.url is set" in proc.stderr, proc.stderr
    upstream = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "argo"}},
        "podSelector": {"matchLabels": {"app": "argo-server"}},
    }
    assert "podSelector: {matchLabels: {app: argo-server}}" in proc.stderr, "the message shows an example"
    values["networkPolicy"]["argoServer"] = [upstream]
    assert _argo_peers(helm_template(values=values)) == [upstream]
    # Without a NetworkPolicy, argoServer.url alone is fine.
    assert helm_template(values={"argoServer": {"url": "https://argo-server.argo.svc:2746"}})


def test_values_document_the_peer_for_other_installs() -> None:
    docs = {row.path: row.description for row in rows((CHART / "values.yaml").read_text())}
    peer = docs["networkPolicy.argoServer"]
    assert "app.kubernetes.io/name: argo-workflows-server" in peer and "argoServer.argoHelmRelease" in peer
    assert "Required when `argoServer.url` is set" in peer and "app: argo-server" in peer


def test_namespaces_default_is_the_release_namespace_and_documented_truthfully() -> None:
    # Helm's own defaults render, and serve the release namespace only (the operator's default too).
    args = container_args(helm_template(namespace="argo"))
    assert flag_value(args, "--namespaces") == "argo"
    doc = {row.path: row.description for row in rows((CHART / "values.yaml").read_text())}["namespaces"]
    assert "where argo-helm's chart runs workflows by default" not in doc
    assert "controller.workflowNamespaces" in doc and "`[default]`" in doc
    readme = (CHART / "README.md").read_text()
    assert "where argo-helm's chart runs workflows by default" not in readme
    assert "controller.workflowNamespaces: [default]" in readme


def test_notes_say_which_namespaces_are_served_and_how_to_change_them(tmp_path: Path) -> None:
    notes = render_notes(tmp_path / "a", "--namespace", "tools")
    assert "Namespaces served: tools\n" in notes
    assert "the server refuses any other namespace" in notes
    assert "The value `namespaces` is empty, so this is the release namespace only." in notes
    assert '"default" (its controller.workflowNamespaces)' in notes
    assert (
        "helm upgrade argo-mcp <this chart> -n tools --reuse-values --set 'namespaces={tools,default}'"
        in notes
    )

    notes = render_notes(tmp_path / "b", "--namespace", "default")
    assert "--set 'namespaces={default,another-namespace}'" in notes, "never suggests a duplicate namespace"

    notes = render_notes(tmp_path / "c", "--namespace", "tools", "--set", "namespaces={argo,team-a}")
    assert "Namespaces served: argo, team-a\n" in notes
    assert 'a tool call that names none uses\n  "argo"' in notes
    assert "`namespaces` is empty" not in notes and "They are the value `namespaces`" in notes
    assert "--set 'namespaces={argo,team-a,another-namespace}'" in notes
