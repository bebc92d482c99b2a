"""Secrets in template parameters (issue 27, point 3): redacted by name (a wider, extensible rule) and by value
(URLs with a password, PEM blocks, JWTs, long random strings), enums included, wherever a parameter is shown or
completed: get_workflow_template (summary and full), resources/read and the submit_from_template completion."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import mcp_types as types
import pytest

from argo_mcp import redaction
from argo_mcp.redaction import REDACTED, is_secret_name, is_secret_value
from tests.support.fake_argo import FakeArgo
from tests.support.processes import ServerProcess, http_client, payload

DSN = "postgres://app:S3cretDsnPw@db/x"
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----"
RANDOM = "q8Zr3kP1xVb7LmN2cT9wYh4JdE6s"  # a key under an innocent name
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXZhbHVl"
SECRETS = ["hunter2", "letmein", "Pw0rdDb!", "S3cretDsnPw", "b3BlbnNzaC1rZXkt", RANDOM, JWT, "Zm9vYmFy"]
TEMPLATE: dict[str, Any] = {
    "metadata": {"name": "leaky", "namespace": "argo", "creationTimestamp": "2026-12-07T10:00:00Z"},
    "spec": {
        "entrypoint": "main",
        "arguments": {
            "parameters": [
                {"name": "password", "value": "hunter2", "enum": ["hunter2", "letmein"]},
                {"name": "db_pwd", "value": "Pw0rdDb!"},
                {"name": "dsn", "value": DSN},
                {"name": "ssh_key", "value": PEM},
                {"name": "note", "value": RANDOM},
                {"name": "header", "value": f"Bearer-less {JWT}"},
                {"name": "mode", "value": "fast", "enum": ["fast", "slow", "postgres://u:Zm9vYmFy@h/db"]},
                {"name": "image", "value": "ghcr.io/argoproj/argo-workflows:v3.7.0"},
                {"name": "keyword", "value": "report-2026-12-01"},
                {"name": "revision", "value": "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f"},
            ]
        },
        "templates": [{"name": "main", "container": {"image": "busybox"}}],
    },
}
VISIBLE = {
    "mode": "fast",
    "image": "ghcr.io/argoproj/argo-workflows:v3.7.0",
    "keyword": "report-2026-12-01",
    "revision": "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f",
}


@pytest.mark.parametrize(
    "name",
    ["password", "db_pwd", "dbPassword", "dsn", "ssh_key", "sshKey", "api_key", "apiKey", "API-KEY",
     "client_secret", "githubToken", "db_pass", "aws_credentials", "private_key", "authHeader", "kubeconfig"],
)  # fmt: skip
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["message", "size", "keyword", "monkey", "bypass", "author", "image", "region", "compass"]
)
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    "value",
    [DSN, "mysql://root:pw@10.0.0.1:3306/db", PEM, JWT, "AKIAABCDEFGHIJKLMNOP", RANDOM,
     "Q3v8_xN1kLpZ2rT7yB4mW9sE0cJ6hU5fA-oDgKiYtR8",  # a token_urlsafe(32), fixed: every run collects the same ids
     "d41d8cd98f00b204e9800998ecf8427e", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"],
)  # fmt: skip
def test_secret_values(value: str) -> None:
    assert is_secret_value(value)


@pytest.mark.parametrize(
    "value",
    ["ghcr.io/argoproj/argo-workflows:v3.7.0", "ssh://git@github.com/org/repo.git", "hello world",
     "/data/input/files/2026-12-01/part-0001.parquet", "s3://my-bucket/path/to/object/key/2026",
     "MyApplicationConfiguration2024", "SomeVeryLongCamelCaseIdentifierName123",
     "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f", "sha256:" + "0123456789abcdef" * 4, "2026-12-07T20:30:00Z",
     "workflow-template-for-nightly-etl-2026", "https://argo.example.com/workflows/argo/hello"],
)  # fmt: skip
def test_ordinary_values(value: str) -> None:
    assert not is_secret_value(value)


@pytest.fixture
def restore_names() -> Iterator[None]:
    yield
    redaction.configure_secret_names(None)


def test_the_name_rule_is_extended_by_the_setting(
    monkeypatch: pytest.MonkeyPatch, restore_names: None
) -> None:
    assert not is_secret_name("sig_value") and not is_secret_name("x_magic")
    monkeypatch.setenv(redaction.SECRET_NAMES_VARIABLE, r"^sig_, magic$")
    redaction.configure_secret_names(None)
    assert is_secret_name("sig_value") and is_secret_name("X_MAGIC") and not is_secret_name("signal")
    redaction.configure_secret_names(["ldap_bind"])
    assert is_secret_name("ldap_bind_dn") and not is_secret_name("sig_value")
    with pytest.raises(ValueError, match=r"ARGO_MCP_REDACT_PARAMETER_NAMES: '\(oops' is not a valid regular"):
        redaction.parse_secret_name_fragments("ok,(oops")
    # An invalid fragment in the environment is matched literally: more redaction, never less.
    monkeypatch.setenv(redaction.SECRET_NAMES_VARIABLE, "(oops")
    redaction.configure_secret_names(None)
    assert is_secret_name("x(oops") and not is_secret_name("oops")


def _assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked through {where}: {text}"


async def test_secret_parameters_are_redacted_everywhere_they_are_shown(
    argo: FakeArgo, shared_server: ServerProcess
) -> None:
    argo.on("WorkflowTemplateService_GetWorkflowTemplate", copy.deepcopy(TEMPLATE))
    argo.on("WorkflowTemplateService_ListWorkflowTemplates", {"metadata": {}, "items": [TEMPLATE]})
    prompt = types.PromptReference(type="ref/prompt", name="submit_from_template")
    async with http_client(shared_server.url) as client:
        summary = payload(await client.call_tool("get_workflow_template", {"name": "leaky"}))
        full = payload(await client.call_tool("get_workflow_template", {"name": "leaky", "full": True}))
        resource = await client.read_resource("argo://workflow-templates/argo/leaky")
        completion = await client.complete(prompt, {"name": "parameters", "value": ""}, {"template": "leaky"})
    _assert_no_secret(json.dumps(summary), "get_workflow_template")
    _assert_no_secret(json.dumps(full), "get_workflow_template full")
    _assert_no_secret(resource.model_dump_json(), "resources/read")
    _assert_no_secret(json.dumps(completion.completion.values), "the submit_from_template completion")

    shown = {p["name"]: p for p in summary["arguments"]["parameters"]}
    for name in ("password", "db_pwd", "dsn", "ssh_key", "note", "header"):
        assert shown[name]["default"] == REDACTED, shown[name]
    assert shown["password"]["enum"] == [REDACTED, REDACTED], "the count stays, the values go"
    assert shown["mode"]["enum"] == ["fast", "slow", REDACTED]
    assert {name: shown[name]["default"] for name in VISIBLE} == VISIBLE, "ordinary values stay visible"
    params = {p["name"]: p for p in full["spec"]["arguments"]["parameters"]}
    assert params["password"]["enum"] == [REDACTED, REDACTED] and params["dsn"]["value"] == REDACTED
    assert (
        params["mode"]["enum"] == ["fast", "slow", REDACTED] and params["image"]["value"] == VISIBLE["image"]
    )
    offered = completion.completion.values
    assert "password=" in offered and "dsn=" in offered and "note=" in offered and "mode=fast" in offered
