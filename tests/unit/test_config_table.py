"""The settings table (argo_mcp/config_table.py) is the one source of the parser, the environment fallback, the
per-field checks and the README's flag table: these tests hold each of those to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from argo_mcp import config_table, docs
from argo_mcp.cli import build_parser, parse_settings
from argo_mcp.config_table import OPTIONS, Number, Option, Switch
from argo_mcp.settings import AuthMode, ConfigError, InboundAuthMode, LogLevel, Settings, ToolGroup
from tests.support.processes import REPO

BASE = ["--argo-server-url", "http://a"]
# Variables that do not follow "--argo-x: ARGO_X, --x: ARGO_MCP_X", as the reference and earlier releases named them.
ENV_EXCEPTIONS = {
    "--argo-timeout": "ARGO_MCP_ARGO_TIMEOUT",
    "--argo-max-response-mib": "ARGO_MCP_ARGO_MAX_RESPONSE_MIB",
    "--auth-inbound": "ARGO_MCP_INBOUND_AUTH",
    "--kubeconfig": "KUBECONFIG",
}
NO_ENV = {"--stdio", "--host", "--port", "--tls-cert", "--tls-key"}


def field_of(settings: Settings, path: str) -> Any:
    value: Any = settings
    for name in path.split("."):
        value = getattr(value, name)
    return value


def test_readme_flag_table_is_generated_from_the_settings_table() -> None:
    readme = (REPO / "README.md").read_text()
    start, end, _ = docs.SECTIONS_IN_README[1]
    assert docs.embedded(readme, start, end).strip() == config_table.flag_table().strip(), (
        f"the README's flag table differs from argo_mcp/config_table.py: regenerate with {docs.COMMAND}"
    )
    assert docs.regenerate(readme) == readme, f"a generated README section is stale: run {docs.COMMAND}"


def test_regenerate_refuses_a_readme_without_markers() -> None:
    with pytest.raises(ValueError, match="flags:start"):
        docs.regenerate(docs.README.read_text().replace("<!-- flags:start", "<!-- gone"))


def test_every_option_names_a_settings_field_and_every_flag_is_in_help(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "10000")  # no wrapping, which would break words at their hyphens
    help_text = " ".join(build_parser().format_help().split())
    for option in OPTIONS:
        if option.field is not None:
            first, *_ = option.field.split(".")
            assert first in Settings.model_fields, option.field
            option.default()  # walks the models: a misspelt field fails here
        if option.flag is not None:
            assert option.flag in help_text
            assert " ".join(option.help_text().split()) in help_text, option.flag
    parser_flags = {
        s for action in build_parser()._actions for s in action.option_strings if s.startswith("--")
    }
    table_flags = {o.flag for o in OPTIONS if o.flag}
    switches_no = {"--no-" + o.flag[2:] for o in OPTIONS if o.flag and o.env and isinstance(o.kind, Switch)}
    assert parser_flags == table_flags | switches_no | {"--help", "--version"}


@pytest.mark.parametrize("option", [o for o in OPTIONS if o.flag], ids=lambda o: o.flag)
def test_environment_variable_names_follow_one_rule(option: Option) -> None:
    assert option.flag is not None
    if option.flag in NO_ENV:
        assert option.env is None
        return
    stem = option.flag.removeprefix("--").upper().replace("-", "_")
    rule = stem if stem.startswith("ARGO_") else "ARGO_MCP_" + stem
    assert option.env == ENV_EXCEPTIONS.get(option.flag, rule)


@pytest.mark.parametrize("option", [o for o in OPTIONS if isinstance(o.kind, Number)], ids=lambda o: o.label)
def test_number_defaults_lie_within_their_bounds_and_the_bounds_hold(option: Option) -> None:
    kind = option.kind
    assert isinstance(kind, Number)
    assert kind.parse(kind.show(option.default()), option.label) == option.default()
    too_big = str(int(kind.high) + 1)
    with pytest.raises(
        ConfigError,
        match=f"invalid {option.flag} '{too_big}': expected .* and {int(kind.high) if kind.whole else kind.high}$",
    ):
        parse_settings([*BASE, str(option.flag), too_big], env={})
    low = kind.low + (1 if kind.whole else 0.5) if kind.open_low else kind.low
    at_low = parse_settings([*BASE, str(option.flag), f"{low:g}"], env={})
    assert field_of(at_low, str(option.field)) == low * kind.unit


# One valid text per setting and the value it gives its field; a new option must add itself here.
SAMPLES: dict[str, tuple[str, Any]] = {
    "--host": ("127.0.0.1", "127.0.0.1"),
    "--port": ("9000", 9000),
    "--allowed-hosts": ("a.example, b.example", ("a.example", "b.example")),
    "--allowed-origins": ("https://ui.example", ("https://ui.example",)),
    "--http-idle-timeout": ("2.5", 2.5),
    "--http-header-timeout": ("3", 3.0),
    "--http-body-timeout": ("4", 4.0),
    "--max-connections": ("7", 7),
    "--max-inflight-calls": ("3", 3),
    "--max-long-calls": ("5", 5),
    "--max-long-calls-per-caller": ("2", 2),
    "--argo-server-url": ("https://argo.example/", "https://argo.example"),
    "--argo-auth-mode": ("none", AuthMode.NONE),
    "--argo-default-namespace": ("team-a", "team-a"),
    "--argo-timeout": ("12", 12.0),
    "--argo-max-response-mib": ("0.5", 512 * 1024),
    "--max-buffered-mib": ("64", 64 * 1024 * 1024),
    "--redact-parameter-names": ("conn_?str, ^sig_", ("conn_?str", "^sig_")),
    "--toolsets": ("info,cron", frozenset({ToolGroup.INFO, ToolGroup.CRON})),
    "--namespaces": ("a,b", ("a", "b")),
    "--allowed-service-accounts": ("a:runner,*:default", ("a:runner", "*:default")),
    "--inline-artifact-kib": ("8", 8 * 1024),
    "--auth-inbound": ("oidc", InboundAuthMode.OIDC),
    "--inbound-audience": ("aud", "aud"),
    "--resource-url": ("https://mcp.example/mcp", "https://mcp.example/mcp"),
    "--kubeconfig": ("/k/config", "/k/config"),
    "--oidc-issuer": ("https://issuer.example", "https://issuer.example"),
    "--oidc-jwks-url": ("https://issuer.example/jwks", "https://issuer.example/jwks"),
    "--max-answer-mib": ("2", 2 * 1024 * 1024),
    "--log-level": ("DEBUG", LogLevel.DEBUG),
}
VALUED = [o for o in OPTIONS if o.flag and o.env and o.field and not isinstance(o.kind, Switch)]
PATHS = {
    "--argo-token-file",
    "--argo-ca-file",
    "--artifact-dir",
    "--task-key-file",
    "--targets-file",
}  # checked with real files below


def test_every_valued_option_has_a_sample() -> None:
    assert {str(o.flag) for o in VALUED} - PATHS == set(SAMPLES) - NO_ENV


@pytest.mark.parametrize("option", [o for o in VALUED if o.flag not in PATHS], ids=lambda o: o.flag)
def test_the_variable_is_read_and_the_flag_wins(option: Option) -> None:
    raw, expected = SAMPLES[str(option.flag)]
    base = [] if option.flag == "--argo-server-url" else BASE
    extra = {"ARGO_MCP_OIDC_ISSUER": "https://issuer.example"}  # oidc needs it (a cross-field check)
    from_env = parse_settings(base, env={str(option.env): raw, **extra})
    assert field_of(from_env, str(option.field)) == expected
    # An empty variable counts as absent: the default from Settings (the URL and auth mode have none there).
    if option.default() is not None:
        assert (
            field_of(parse_settings(base, env={str(option.env): " "}), str(option.field)) == option.default()
        )
    other = next(o for o in VALUED if o.flag not in PATHS and SAMPLES[str(o.flag)][0] != raw)
    wrong_raw = SAMPLES[str(other.flag)][0]
    flag_wins = parse_settings([*BASE, str(option.flag), raw], env={str(option.env): wrong_raw, **extra})
    assert field_of(flag_wins, str(option.field)) == expected


def test_path_options_come_from_flag_or_variable(tmp_path: Path) -> None:
    ca, token = tmp_path / "ca.pem", tmp_path / "token"
    ca.write_text("pem")
    token.write_text("t")
    env = {
        "ARGO_CA_FILE": str(ca),
        "ARGO_TOKEN_FILE": str(token),
        "ARGO_MCP_ARTIFACT_DIR": str(tmp_path / "x"),
    }
    settings = parse_settings([*BASE, "--argo-auth-mode", "bearer-file"], env=env)
    assert settings.argo.ca_file == ca and settings.argo.token_file == token
    assert settings.artifact_dir == (tmp_path / "x").resolve()
    flagged = parse_settings([*BASE, "--artifact-dir", str(tmp_path / "y")], env=env)
    assert flagged.artifact_dir == (tmp_path / "y").resolve()


@pytest.mark.parametrize(
    "option", [o for o in OPTIONS if isinstance(o.kind, Switch) and o.env], ids=lambda o: o.flag
)
def test_switches_read_their_variable_and_have_a_no_form(option: Option) -> None:
    on = parse_settings(BASE, env={str(option.env): "on"})
    assert field_of(on, str(option.field)) is True
    off = parse_settings([*BASE, f"--no-{str(option.flag)[2:]}"], env={str(option.env): "yes"})
    assert field_of(off, str(option.field)) is False
    with pytest.raises(ConfigError, match=f"invalid {option.env}='maybe': expected 1, true or yes"):
        parse_settings(BASE, env={str(option.env): "Maybe"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--argo-timeout", "0"], "invalid --argo-timeout '0': expected seconds between 0 and 3600"),
        (["--port", "0"], "invalid --port '0': expected a TCP port number between 1 and 65535"),
        (
            ["--http-idle-timeout", "x"],
            "invalid --http-idle-timeout 'x': expected a number between 0.1 and 3600",
        ),
        (["--log-level", "loud"], 'unknown log level "loud" (expected debug, info, warning or error)'),
        (
            ["--auth-inbound", "magic"],
            'unknown inbound auth mode "magic" (expected one of: none, kubernetes, oidc)',
        ),
        (
            ["--auth-inbound", "oidc"],
            'inbound auth mode "oidc" requires --oidc-issuer (or ARGO_MCP_OIDC_ISSUER)',
        ),
        (["--auth-inbound", "kubernetes"], 'inbound auth mode "kubernetes" needs API access'),
        (["--namespaces", "a,B"], "invalid namespace in --namespaces 'B': a namespace is a DNS-1123 label"),
        (
            ["--resource-url", "mcp.example"],
            "invalid --resource-url 'mcp.example': expected an http:// or https://",
        ),
    ],
)
def test_messages_name_the_flag_and_the_fix(args: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings([*BASE, *args], env={})
    assert str(caught.value).startswith(message)


def test_the_bearer_token_is_kept_only_for_bearer_mode() -> None:
    env = {"ARGO_TOKEN": "s3cr3t"}
    assert parse_settings([*BASE, "--argo-auth-mode", "bearer"], env=env).argo.token == "s3cr3t"
    assert parse_settings([*BASE, "--argo-auth-mode", "none"], env=env).argo.token is None


def test_stdio_ignores_a_lone_tls_flag() -> None:
    settings = parse_settings([*BASE, "--stdio", "--tls-cert", "/nope.pem"], env={})
    assert settings.stdio is True
