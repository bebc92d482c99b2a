"""Admission limits and redaction names in the ArgoMCPServer spec and the chart: the server's bounds, defaults
and flags, so neither deployer can ask for what the server refuses or state another default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from argo_mcp import config_table
from argo_mcp.cli import parse_settings
from argo_mcp.settings import MIB, ConfigError
from argo_mcp_operator import constants as c
from argo_mcp_operator.crd import crd_yaml
from argo_mcp_operator.serverargs import LIMITS, server_args
from argo_mcp_operator.spec import SpecError, parse_spec, server_bounds, server_default, server_option

CHART = Path(__file__).resolve().parents[3] / "deploy" / "helm" / "argo-mcp"
URL = {"url": "https://argo.example:2746"}
SERVER_DEFAULTS = {  # written once more on purpose: a change of the server's defaults must be seen here
    "--max-inflight-calls": 64,
    "--max-long-calls": 16,
    "--max-long-calls-per-caller": 4,
    "--max-buffered-mib": 256,
    "--max-connections": 1000,
}


def args_of(**spec: Any) -> list[str]:
    return server_args(parse_spec({"argoServer": URL, **spec}), "team-a")


def crd_limits() -> dict[str, Any]:
    crd = yaml.safe_load(crd_yaml())
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    limits: dict[str, Any] = schema["limits"]
    return limits


def test_defaults_are_the_servers() -> None:
    assert {flag: server_default(flag) for flag, _, _ in LIMITS} == SERVER_DEFAULTS
    # the size is the server's bytes in MiB
    assert server_option("--max-buffered-mib").default() == 256 * MIB


@pytest.mark.parametrize(("flag", "field", "name"), LIMITS)
def test_the_server_accepts_exactly_the_spec_bounds(flag: str, field: str, name: str) -> None:
    low, high = server_bounds(flag)
    prop = crd_limits()["properties"][name]
    assert (prop["type"], prop["minimum"], prop["maximum"]) == ("integer", low, high)
    assert "default" not in prop  # unset stays unset: the server of the day decides
    assert f"Unset: the server's default, {SERVER_DEFAULTS[flag]}." in prop["description"]
    kind = server_option(flag).kind
    for accepted in (low, high):
        kind.parse(str(accepted), flag)
    with pytest.raises(ConfigError):
        kind.parse(str(high + 1), flag)
    with pytest.raises(
        SpecError, match=rf"spec\.limits\.{name}: Input should be less than or equal to {high}"
    ):
        parse_spec({"argoServer": URL, "limits": {name: high + 1}})
    with pytest.raises(
        SpecError, match=rf"spec\.limits\.{name}: Input should be greater than or equal to {low}"
    ):
        parse_spec({"argoServer": URL, "limits": {name: low - 1}})


def test_a_limit_is_a_flag_only_when_it_differs_from_the_servers_default() -> None:
    flags = [flag for flag, _, _ in LIMITS]
    assert not set(flags) & set(args_of())
    assert not set(flags) & set(args_of(limits={name: SERVER_DEFAULTS[f] for f, _, name in LIMITS}))
    args = args_of(limits={"maxInflightCalls": 128, "maxLongCalls": 16, "maxBufferedMiB": 512})
    assert args[args.index("--max-inflight-calls") + 1] == "128"
    assert args[args.index("--max-buffered-mib") + 1] == "512"
    assert "--max-long-calls" not in args


def test_the_server_takes_the_rendered_command_line(tmp_path: Path) -> None:
    """The operator's args, with the mounted files replaced by local ones, parse into the server's Settings."""
    token, key = tmp_path / "token", tmp_path / "task.key"
    token.write_text("t")
    key.write_text("k" * 64)
    limits = {"maxInflightCalls": 9, "maxLongCalls": 5, "maxLongCallsPerCaller": 2, "maxBufferedMiB": 3,
              "maxConnections": 77}  # fmt: skip
    args = args_of(
        limits=limits,
        redactParameterNames=["conn_?str", "^sig_"],
        allowedServiceAccounts=["team-a:runner", "*:default"],
        tls={"mode": "disabled"},
        inboundAuth={"mode": "none"},
    )
    local = {c.ARGO_TOKEN_FILE: str(token), c.TASK_KEY_FILE: str(key)}
    settings = parse_settings([local.get(arg, arg) for arg in args], env={})
    assert settings.max_inflight_calls == 9
    assert settings.max_long_calls == 5
    assert settings.max_long_calls_per_caller == 2
    assert settings.argo.max_buffered_bytes == 3 * MIB
    assert settings.http.max_connections == 77
    assert settings.scope.redact_parameter_names == ("conn_?str", "^sig_")
    assert settings.scope.allowed_service_accounts == ("team-a:runner", "*:default")
    assert settings.task_key_file == key


def test_allowed_service_accounts_are_one_flag_and_bad_entries_name_the_field() -> None:
    args = args_of(allowedServiceAccounts=["team-a:runner", "*:default"])
    assert args[args.index("--allowed-service-accounts") + 1] == "team-a:runner,*:default"
    assert "--allowed-service-accounts" not in args_of()
    with pytest.raises(SpecError, match=r"spec\.allowedServiceAccounts\[0\]"):
        parse_spec({"argoServer": URL, "allowedServiceAccounts": ["runner"]})


def test_redaction_names_are_one_flag_and_bad_ones_name_the_field() -> None:
    args = args_of(redactParameterNames=["conn_?str", "^sig_"])
    assert args[args.index("--redact-parameter-names") + 1] == "conn_?str,^sig_"
    assert "--redact-parameter-names" not in args_of()
    with pytest.raises(SpecError, match=r"spec\.redactParameterNames: .*'\(oops' is not a valid regular"):
        parse_spec({"argoServer": URL, "redactParameterNames": ["(oops"]})
    with pytest.raises(SpecError, match=r"spec\.redactParameterNames\[0\]"):  # a comma would split it in two
        parse_spec({"argoServer": URL, "redactParameterNames": ["a,b"]})


def test_chart_values_and_schema_say_the_same() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())["properties"]
    for flag, _, name in LIMITS:
        assert values["limits"][name] == SERVER_DEFAULTS[flag], name
        low, high = server_bounds(flag)
        prop = schema["limits"]["properties"][name]
        assert (prop["type"], prop["minimum"], prop["maximum"]) == ("integer", low, high), name
    assert values["redactParameterNames"] == []
    assert schema["redactParameterNames"]["items"]["pattern"] == "^[^,]+$"
    assert values["taskKeySecretRef"] == {"name": "", "key": c.TASK_KEY_NAME}


def test_the_flags_are_the_servers() -> None:
    flags = {option.flag for option in config_table.OPTIONS}
    assert {flag for flag, _, _ in LIMITS} | {"--redact-parameter-names", "--task-key-file"} <= flags
