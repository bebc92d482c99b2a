"""The chart's ArgoMCPServer CRD survives `helm uninstall` and upgrades that disable the operator, unless
`crds.keep=false`.

Deleting a CRD deletes every custom resource of its kind, so by default the chart tells Helm to keep it.
"""

from __future__ import annotations

import importlib
import re

import yaml

from scripts.gen.chart_readme import rows

from .bundle import CHART, ROOT, Obj, helm_template, helm_template_proc, one

GENERATED_CRD = ROOT / "deploy/crds/argo-mcp.io_argomcpservers.yaml"
KEEP = "helm.sh/resource-policy"


def _crd(values: Obj) -> Obj:
    objs = helm_template(release="argo-mcp", namespace="tools", values=values)
    return one(objs, "CustomResourceDefinition")


def test_crd_is_kept_on_uninstall_and_matches_the_generated_crd() -> None:
    crd = _crd({"operator": {"enabled": True}})
    assert crd["metadata"]["annotations"][KEEP] == "keep"
    generated = yaml.safe_load(GENERATED_CRD.read_text())
    # Apart from the annotation, the rendered CRD is the generated one, unchanged.
    crd["metadata"]["annotations"].pop(KEEP)
    if not crd["metadata"]["annotations"]:
        crd["metadata"].pop("annotations")
    assert crd == generated


def test_crds_keep_defaults_to_true() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["crds"] == {"keep": True}
    assert _crd({"operator": {"enabled": True}, "crds": {"keep": True}})["metadata"]["annotations"] == {
        KEEP: "keep"
    }


def test_crds_keep_false_lets_helm_delete_the_crd() -> None:
    crd = _crd({"operator": {"enabled": True}, "crds": {"keep": False}})
    assert KEEP not in crd["metadata"].get("annotations", {})
    assert crd == yaml.safe_load(GENERATED_CRD.read_text()), "exactly the generated CRD, no annotation added"


def test_crds_keep_must_be_a_boolean() -> None:
    proc = helm_template_proc(values={"operator": {"enabled": True}, "crds": {"keep": "no"}})
    assert proc.returncode != 0 and "at '/crds/keep'" in proc.stderr, proc.stderr
    proc = helm_template_proc(values={"crds": {"install": False}})
    assert proc.returncode != 0 and "additional properties 'install' not allowed" in proc.stderr, proc.stderr


def test_no_crd_without_the_operator() -> None:
    for keep in (True, False):
        objs = helm_template(
            release="argo-mcp",
            namespace="tools",
            values={"operator": {"enabled": False}, "crds": {"keep": keep}},
        )
        assert not [obj for obj in objs if obj["kind"] == "CustomResourceDefinition"]


def test_readme_says_the_crd_is_kept_and_how_to_remove_it() -> None:
    readme = (CHART / "README.md").read_text()
    name = yaml.safe_load(GENERATED_CRD.read_text())["metadata"]["name"]
    security = readme.partition("## Security")[2].partition("\n## ")[0]
    assert f"kubectl delete crd {name}" in security
    assert "crds.keep" in security and KEEP in security
    # Deleting the CRD deletes every ArgoMCPServer (and, through the operator, what it made for each).
    assert re.search(r"deletes every ArgoMCPServer in every\s+namespace", security)
    # The ArgoMCPServers' finalizer needs the running operator: delete them before uninstalling.
    commands = [
        line.strip() for line in security.splitlines() if line.strip().startswith(("kubectl", "helm"))
    ]
    delete_crs = commands.index("kubectl delete argomcpservers.argo-mcp.io --all --all-namespaces --wait")
    uninstall = next(i for i, c in enumerate(commands) if c.startswith("helm uninstall"))
    assert delete_crs < uninstall < commands.index(f"kubectl delete crd {name}")
    finalizer = importlib.import_module("argo_mcp_operator.handlers").FINALIZER
    assert f"`{finalizer}`" in security
    flat = " ".join(security.split())
    assert (
        "`helm uninstall` removes every object the chart made, including the generated TLS Secret, except the ArgoMCPServer CRD"
        in flat
    )
    assert "crds.keep" in {row.path for row in rows((CHART / "values.yaml").read_text())}
