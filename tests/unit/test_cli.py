"""Start-up: flags, their ARGO_* fallbacks, and the reference's error messages (one line, exit 2, no traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from argo_mcp.cli import parse_settings
from argo_mcp.settings import AuthMode, ConfigError, ToolGroup
from tests.support.processes import REPO, clean_env


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "argo_mcp", *args],
        capture_output=True,
        text=True,
        env=clean_env(env),
        cwd=REPO,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {}, "missing Argo Workflows server URL"),
        (
            ("--argo-server-url", "http://a", "--argo-auth-mode", "bearer"),
            {},
            'auth mode "bearer" requires a token',
        ),
        (
            ("--argo-server-url", "http://a", "--argo-auth-mode", "bearer-file"),
            {},
            'auth mode "bearer-file" requires a token file',
        ),
        (("--argo-server-url", "http://a", "--argo-auth-mode", "magic"), {}, 'unknown auth mode "magic"'),
        (("--argo-server-url", "http://a", "--tls-cert", "/x.crt"), {}, "--tls-cert requires --tls-key"),
        (("--argo-server-url", "http://a", "--tls-key", "/x.key"), {}, "--tls-key requires --tls-cert"),
        (
            (
                "--argo-server-url",
                "http://a",
                "--argo-auth-mode",
                "bearer-file",
                "--argo-token-file",
                "/nope/token",
            ),
            {},
            "cannot read token file /nope/token",
        ),
        (
            ("--argo-server-url", "http://a", "--tls-cert", "/nope/c.pem", "--tls-key", "/nope/k.pem"),
            {},
            "cannot read TLS certificate file /nope/c.pem",
        ),
        (("--argo-server-url", "ftp://a"), {}, "expected an http:// or https:// URL"),
        (("--argo-server-url", "http://a", "--port", "99999"), {}, "invalid --port"),
        (
            (),
            {"ARGO_SERVER_URL": "http://a", "ARGO_INSECURE_SKIP_TLS_VERIFY": "maybe"},
            "ARGO_INSECURE_SKIP_TLS_VERIFY",
        ),
        (("--argo-server-url", "http://a", "--argo-default-namespace", "Bad_NS"), {}, "DNS-1123 label"),
        (
            ("--argo-server-url", "http://a", "--argo-auth-mode", "k8s-service-account"),
            {},
            "cannot read service-account token file /var/run/secrets/kubernetes.io/serviceaccount/token",
        ),
        (("--argo-server-url", "http://a", "--toolsets", "info,bogus"), {}, 'unknown toolset "bogus"'),
        (
            ("--argo-server-url", "http://a", "--argo-max-response-mib", "lots"),
            {},
            "invalid --argo-max-response-mib",
        ),
        (
            ("--argo-server-url", "http://a"),
            {"ARGO_MCP_MAX_ANSWER_MIB": "0"},
            "invalid --max-answer-mib '0': expected a size in MiB",
        ),
        (
            ("--argo-server-url", "http://a", "--inline-artifact-kib", "-1"),
            {},
            "invalid --inline-artifact-kib",
        ),
    ],
)
def test_start_up_errors(args: tuple[str, ...], env: dict[str, str], message: str) -> None:
    result = run_cli(*args, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_help_documents_every_reference_flag() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for flag in (
        "--stdio",
        "--host",
        "--port",
        "--tls-cert",
        "--tls-key",
        "--argo-server-url",
        "--argo-auth-mode",
        "--argo-token-file",
        "--argo-default-namespace",
        "--argo-insecure-skip-tls-verify",
    ):
        assert flag in result.stdout


def test_defaults_match_the_reference() -> None:
    settings = parse_settings(["--argo-server-url", "https://argo.example.com/"], env={})
    assert settings.http.host == "0.0.0.0"
    assert settings.http.port == 8081
    assert settings.argo.server_url == "https://argo.example.com"
    assert settings.argo.auth_mode is AuthMode.NONE
    assert settings.argo.default_namespace == "argo"
    assert settings.argo.insecure_skip_tls_verify is False
    assert settings.stdio is False
    assert settings.scope.toolsets == frozenset(ToolGroup)
    assert settings.argo.max_response_bytes == 32 * 1024 * 1024
    assert settings.max_answer_bytes == 4 * 1024 * 1024


def test_flags_win_over_environment(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t")
    env = {
        "ARGO_SERVER_URL": "http://from-env",
        "ARGO_DEFAULT_NAMESPACE": "envns",
        "ARGO_AUTH_MODE": "bearer",
        "ARGO_TOKEN": "x",
        "ARGO_INSECURE_SKIP_TLS_VERIFY": "yes",
    }
    from_env = parse_settings([], env=env)
    assert from_env.argo.server_url == "http://from-env"
    assert from_env.argo.default_namespace == "envns"
    assert from_env.argo.auth_mode is AuthMode.BEARER
    assert from_env.argo.insecure_skip_tls_verify is True
    flags = parse_settings(
        [
            "--argo-server-url",
            "http://from-flag",
            "--argo-default-namespace",
            "flagns",
            "--argo-auth-mode",
            "bearer-file",
            "--argo-token-file",
            str(token),
            "--no-argo-insecure-skip-tls-verify",
        ],
        env=env,
    )
    assert flags.argo.server_url == "http://from-flag"
    assert flags.argo.default_namespace == "flagns"
    assert flags.argo.auth_mode is AuthMode.BEARER_FILE
    assert flags.argo.insecure_skip_tls_verify is False


@pytest.mark.parametrize("word", ["1", "true", "yes", "TRUE", "Yes"])
def test_insecure_env_accepts_1_true_yes(word: str) -> None:
    settings = parse_settings([], env={"ARGO_SERVER_URL": "http://a", "ARGO_INSECURE_SKIP_TLS_VERIFY": word})
    assert settings.argo.insecure_skip_tls_verify is True


def test_in_cluster_default_mode_is_service_account(tmp_path: Path) -> None:
    token = tmp_path / "sa-token"
    token.write_text("abc")
    settings = parse_settings(
        ["--argo-token-file", str(token)],
        env={"ARGO_SERVER_URL": "http://a", "KUBERNETES_SERVICE_HOST": "10.0.0.1"},
    )
    assert settings.argo.auth_mode is AuthMode.K8S_SERVICE_ACCOUNT
    assert settings.argo.token_file == token


def test_bearer_token_is_not_in_the_settings_repr() -> None:
    settings = parse_settings(
        ["--argo-auth-mode", "bearer"], env={"ARGO_SERVER_URL": "http://a", "ARGO_TOKEN": "s3cr3t-token"}
    )
    assert "s3cr3t-token" not in repr(settings)


def test_config_error_is_raised_not_printed() -> None:
    with pytest.raises(ConfigError, match="missing Argo Workflows server URL"):
        parse_settings([], env={})


def test_inline_artifact_size_and_confirmation_from_flags_and_environment() -> None:
    base = ["--argo-server-url", "http://a"]
    default = parse_settings(base, env={})
    assert default.inline_artifact_bytes == 256 * 1024 and default.confirm_destructive is False
    env = {"ARGO_MCP_INLINE_ARTIFACT_KIB": "0", "ARGO_MCP_CONFIRM_DESTRUCTIVE": "true"}
    from_env = parse_settings(base, env=env)
    assert from_env.inline_artifact_bytes == 0 and from_env.confirm_destructive is True
    flags = parse_settings([*base, "--inline-artifact-kib", "64", "--no-confirm-destructive"], env=env)
    assert flags.inline_artifact_bytes == 64 * 1024 and flags.confirm_destructive is False
