"""The chart's ArgoMCPServer CRD survives `helm uninstall` and upgrades that disable the operator.

Deleting a CRD deletes every custom resource of its kind, so the chart must tell Helm to keep it.
"""

from __future__ import annotations

import yaml

from .bundle import ROOT, helm_template, one


def test_crd_is_kept_on_uninstall_and_matches_the_generated_crd() -> None:
    objs = helm_template(release="argo-mcp", namespace="tools", values={"operator": {"enabled": True}})
    crd = one(objs, "CustomResourceDefinition")
    assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    generated = yaml.safe_load((ROOT / "deploy/crds/argo-mcp.io_argomcpservers.yaml").read_text())
    # Apart from the annotation, the rendered CRD is the generated one, unchanged.
    crd["metadata"]["annotations"].pop("helm.sh/resource-policy")
    if not crd["metadata"]["annotations"]:
        crd["metadata"].pop("annotations")
    assert crd == generated


def test_no_crd_without_the_operator() -> None:
    objs = helm_template(release="argo-mcp", namespace="tools", values={"operator": {"enabled": False}})
    assert not [obj for obj in objs if obj["kind"] == "CustomResourceDefinition"]
