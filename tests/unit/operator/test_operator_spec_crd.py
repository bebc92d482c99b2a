"""The spec model's validation and the CRD generated from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from argo_mcp_operator import __version__
from argo_mcp_operator import constants as c
from argo_mcp_operator.crd import crd, crd_yaml
from argo_mcp_operator.spec import SpecError, parse_spec

REPO = Path(__file__).resolve().parents[3]
CRD_FILE = REPO / "deploy" / "crds" / "argo-mcp.io_argomcpservers.yaml"
URL = "https://argo-server.argo.svc:2746"


def spec(**overrides: Any) -> dict[str, Any]:
    return {"argoServer": {"url": URL}, **overrides}


def test_defaults() -> None:
    parsed = parse_spec(spec())
    assert parsed.mode == "read-only"
    assert parsed.image is None  # resolved to constants.DEFAULT_IMAGE at render time
    assert parsed.replicas == 1
    assert parsed.tls.mode == "self-signed"
    assert (parsed.tls.duration, parsed.tls.renew_before) == ("2160h", "360h")
    assert parsed.service.port == 8081
    assert parsed.service_account.token_expiration_seconds == 3600
    assert parsed.service_account.audience is None
    assert (parsed.inbound_auth.mode, parsed.inbound_auth.audience) == ("kubernetes", "argo-mcp")
    assert parsed.artifact_repository_secrets == []
    assert parsed.cluster_workflow_templates is True
    assert parsed.argo_server.insecure_skip_tls_verify is False
    assert parsed.target_namespaces("team-a") == ["team-a"]
    assert parsed.effective_default_namespace("team-a") == "team-a"


def test_default_namespace_follows_namespaces() -> None:
    parsed = parse_spec(spec(namespaces=["x", "y"]))
    assert parsed.target_namespaces("own") == ["x", "y"]
    assert parsed.effective_default_namespace("own") == "x"
    assert parse_spec(spec(namespaces=["x", "own"])).effective_default_namespace("own") == "own"


def test_default_image_is_one_constant() -> None:
    assert f"ghcr.io/argo-mcp/argo-mcp:{__version__}" == c.DEFAULT_IMAGE


@pytest.mark.parametrize(
    ("raw", "name", "expected"),
    [
        (
            spec(tls={"mode": "secretRef"}),
            None,
            "spec.tls: tls.secretName is required when tls.mode is secretRef",
        ),
        (
            spec(tls={"duration": "24h", "renewBefore": "24h"}),
            None,
            "spec.tls: tls.renewBefore must be shorter than tls.duration",
        ),
        (spec(tls={"duration": "two days"}), None, "spec.tls.duration: String should match pattern"),
        (spec(namespaces=[]), None, "spec.namespaces: List should have at least 1 item"),
        (spec(namespaces=["Team_A"]), None, "spec.namespaces[0]: String should match pattern"),
        (
            spec(argoServer={"url": "ftp://argo"}),
            None,
            "spec.argoServer.url: argoServer.url must be an http:// or https:// URL",
        ),
        (
            spec(argoServer={"url": URL, "insecureSkipTLSVerify": True, "caSecretRef": {"name": "ca"}}),
            None,
            "argoServer.caSecretRef and argoServer.insecureSkipTLSVerify are mutually exclusive",
        ),
        ({}, None, "spec.argoServer: Field required"),
        (spec(mode="admin"), None, "spec.mode: Input should be 'read-only', 'operate' or 'full'"),
        (
            spec(service={"port": 70000}),
            None,
            "spec.service.port: Input should be less than or equal to 65535",
        ),
        (
            spec(serviceAccount={"tokenExpirationSeconds": 60}),
            None,
            "spec.serviceAccount.tokenExpirationSeconds: Input should be greater than or equal to 600",
        ),
        (
            spec(namespaces=["a"], defaultNamespace="b"),
            None,
            "spec: defaultNamespace must be one of namespaces",
        ),
        (
            spec(inboundAuth={"mode": "ldap"}),
            None,
            "spec.inboundAuth.mode: Input should be 'none', 'kubernetes' or 'oidc'",
        ),
        (
            spec(inboundAuth={"mode": "oidc"}),
            None,
            "spec.inboundAuth: inboundAuth.oidc.issuer is required when inboundAuth.mode is oidc",
        ),
        (
            spec(inboundAuth={"mode": "oidc", "oidc": {"issuer": "dex.example.com"}}),
            None,
            "spec.inboundAuth.oidc.issuer: inboundAuth.oidc URLs must be http:// or https:// URLs",
        ),
        (spec(), "Bad.Name", "metadata.name must be a DNS-1035 label"),
        (
            spec(tls={"mode": "cert-manager"}),
            None,
            "spec.tls: tls.certManager.issuerRef.name is required when tls.mode is cert-manager",
        ),
        (
            spec(tls={"mode": "cert-manager", "certManager": {"issuerRef": {"name": "ca", "kind": "Vault"}}}),
            None,
            "spec.tls.certManager.issuerRef.kind: Input should be 'Issuer' or 'ClusterIssuer'",
        ),
    ],
)
def test_invalid_specs_name_the_field(raw: dict[str, Any], name: str | None, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(raw, name)
    assert expected in str(info.value)


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(spec(mode="admin", service={"port": 0}))
    assert "spec.mode" in str(info.value)
    assert "spec.service.port" in str(info.value)


def test_committed_crd_is_the_generated_one() -> None:
    """Regenerate with: ./dev gen (also test_generated_files, which covers the chart's copy)."""
    assert CRD_FILE.read_text() == crd_yaml(), "stale: run ./dev gen"


def test_crd_module_prints_the_crd() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "argo_mcp_operator.crd"],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "operator")},
    ).stdout
    assert yaml.safe_load(out) == crd()


def _walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        found.append((path, node))
        for key, value in node.get("properties", {}).items():
            found += _walk(value, f"{path}.{key}")
        if isinstance(node.get("items"), dict):
            found += _walk(node["items"], f"{path}[]")
        if isinstance(node.get("additionalProperties"), dict):
            found += _walk(node["additionalProperties"], f"{path}{{}}")
    return found


def test_crd_shape() -> None:
    doc = crd()
    assert doc["metadata"]["name"] == "argomcpservers.argo-mcp.io"
    assert doc["spec"]["scope"] == "Namespaced"
    assert doc["spec"]["names"]["shortNames"] == ["amcp"]
    (version,) = doc["spec"]["versions"]
    assert version["name"] == "v1alpha1"
    assert version["subresources"] == {"status": {}}
    assert [col["name"] for col in version["additionalPrinterColumns"]] == [
        "Ready",
        "Endpoint",
        "Mode",
        "Age",
    ]


def test_crd_schema_is_structural() -> None:
    """Every node is typed (or explicitly free-form), nothing pydantic-specific survives."""
    root = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for path, node in _walk(root):
        assert {"$ref", "anyOf", "title", "$defs", "oneOf", "allOf"}.isdisjoint(node), path
        assert (
            "type" in node
            or node.get("x-kubernetes-int-or-string")
            or node.get("x-kubernetes-preserve-unknown-fields")
        ), path
        assert not ("properties" in node and "additionalProperties" in node), path
        assert node.get("default", 0) is not None, path


def test_crd_carries_the_validation_rules() -> None:
    spec_schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    props = spec_schema["properties"]
    tls_rules = [r["rule"] for r in props["tls"]["x-kubernetes-validations"]]
    assert "!has(self.mode) || self.mode != 'secretRef' || has(self.secretName)" in tls_rules
    assert any("duration(self.renewBefore) < duration(self.duration)" in rule for rule in tls_rules)
    assert props["namespaces"]["minItems"] == 1
    assert props["namespaces"]["items"]["pattern"] == "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    assert props["mode"]["default"] == "read-only"
    # spelled out: the API server validates a default against CEL rules without nested defaulting
    assert props["tls"]["default"] == {"mode": "self-signed", "duration": "2160h", "renewBefore": "360h"}
    assert props["inboundAuth"]["default"] == {"mode": "kubernetes", "audience": "argo-mcp"}
    assert props["tls"]["properties"]["mode"]["default"] == "self-signed"
    assert "image" in props and "default" not in props["image"]
