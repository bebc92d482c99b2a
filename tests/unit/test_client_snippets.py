"""Every MCP client snippet in the README parses in its client's format, uses only the keys that client documents
(a misspelt or borrowed key, such as Cursor's `url` pasted into Gemini CLI, which reads it as SSE, fails here),
and its stdio command line is one argo-mcp really accepts; `server.json`'s defaults are the binary's.

Each client's format was checked against its documentation (the URL next to it in CLIENTS, read 2026-12-07)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from argo_mcp.cli import parse_settings
from argo_mcp.settings import AuthMode, ConfigError

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SERVER_JSON = json.loads((ROOT / "server.json").read_text())
ENDPOINT = "http://localhost:8081/mcp"  # the server's default port and path
TOKEN_PATHS = ("/home/me/.argo/token", "${userHome}/.argo/token")


def _section() -> str:
    return README.split("<!-- client-snippets", 1)[1].split("\n## ", 1)[0]


def _snippets() -> dict[str, tuple[str, str]]:
    """{client label: (language, code)} for each `**Label** ...` followed by its code block."""
    found: dict[str, tuple[str, str]] = {}
    for match in re.finditer(r"^\*\*([^*]+)\*\*.*?^```(json|toml|yaml)\n(.*?)^```", _section(), re.S | re.M):
        label, language, code = match.groups()
        assert label not in found, f"two snippets for {label}"
        found[label] = (language, code)
    return found


def _parse(language: str, code: str) -> Any:
    if language == "json":
        return json.loads(code)
    if language == "toml":
        return tomllib.loads(code)
    return yaml.safe_load(code)


@dataclass(frozen=True)
class Client:
    """How one client's file holds servers, as its documentation gives it."""

    source: str
    language: str
    servers: Callable[[Any], dict[str, Any]]
    keys: frozenset[str]  # every key a server entry may carry in the snippet (documented by the client)
    http_url_key: str | None  # the key of a streamable HTTP endpoint; None: the client launches stdio only
    command_key: str = "command"
    gui: bool = False  # a GUI app: it does not inherit the shell's PATH, so the command must be absolute


def _mcp_servers(doc: Any) -> dict[str, Any]:
    assert set(doc) == {"mcpServers"}, set(doc)
    servers: dict[str, Any] = doc["mcpServers"]
    return servers


CLIENTS: dict[str, Client] = {
    # https://modelcontextprotocol.io/quickstart/user and the spawn ENOENT reports of GUI launches, e.g.
    # https://github.com/modelcontextprotocol/python-sdk/issues/478 (Claude Desktop does not see the shell's PATH)
    "Claude Desktop": Client(
        "https://modelcontextprotocol.io/quickstart/user",
        "json", _mcp_servers, frozenset({"command", "args", "env"}), None, gui=True,
    ),
    # https://code.visualstudio.com/docs/copilot/customization/mcp-servers (servers, type http|stdio, inputs)
    "VS Code": Client(
        "https://code.visualstudio.com/docs/copilot/customization/mcp-servers",
        "json", lambda doc: doc["servers"], frozenset({"type", "url", "headers", "command", "args", "env"}), "url",
    ),
    "Cursor": Client(
        "https://docs.cursor.com/context/model-context-protocol",
        "json", _mcp_servers, frozenset({"url", "headers", "command", "args", "env"}), "url",
    ),
    # [mcp_servers.<name>]: command/args/env for stdio; url and bearer_token_env_var for streamable HTTP
    "Codex": Client(
        "https://developers.openai.com/codex/mcp",
        "toml", lambda doc: doc["mcp_servers"],
        frozenset({"command", "args", "env", "url", "bearer_token_env_var", "http_headers"}), "url",
    ),
    # httpUrl is streamable HTTP; url is SSE
    "Gemini CLI": Client(
        "https://github.com/google-gemini/gemini-cli/blob/main/docs/tools/mcp-server.md",
        "json", _mcp_servers, frozenset({"httpUrl", "headers", "command", "args", "env", "timeout"}), "httpUrl",
    ),
    # extensions.<key>: type stdio (cmd, args, envs) or streamable_http (uri, headers); name, enabled, timeout
    "Goose": Client(
        "https://github.com/aaif-goose/goose/blob/main/documentation/docs/guides/config-files.md",
        "yaml", lambda doc: doc["extensions"],
        frozenset({"type", "name", "enabled", "uri", "headers", "cmd", "args", "envs", "env_keys", "timeout"}),
        "uri", command_key="cmd", gui=True,
    ),
    # serverUrl for remote HTTP; ${env:VAR} interpolated in command, args, env, serverUrl, url and headers
    "Windsurf": Client(
        "https://docs.windsurf.com/windsurf/cascade/mcp",
        "json", _mcp_servers, frozenset({"serverUrl", "headers", "command", "args", "env"}), "serverUrl", gui=True,
    ),
    # context_servers.<name>: command/args/env, or url/headers
    "Zed": Client(
        "https://zed.dev/docs/ai/mcp",
        "json", lambda doc: doc["context_servers"], frozenset({"url", "headers", "command", "args", "env"}), "url",
        gui=True,
    ),
    # "As JSON" in the MCP settings: mcpServers with command/args/env; the page names stdio as its transport
    "JetBrains AI Assistant": Client(
        "https://www.jetbrains.com/help/ai-assistant/mcp.html",
        "json", _mcp_servers, frozenset({"command", "args", "env"}), None, gui=True,
    ),
}  # fmt: skip


def test_every_common_client_has_one_snippet_in_its_format() -> None:
    snippets = _snippets()
    assert list(snippets) == list(CLIENTS), "README order and the documented clients"
    for label, (language, _) in snippets.items():
        assert language == CLIENTS[label].language, label
        assert CLIENTS[label].source.startswith("https://"), label
    assert "claude mcp add --transport http argo-workflows http://localhost:8081/mcp" in README
    assert "claude mcp add argo-workflows -- argo-mcp --stdio" in README


def _stdio_argv(client: Client, entry: dict[str, Any]) -> list[str]:
    """The argo-mcp arguments of a stdio entry (after `uvx argo-mcp`, when it runs the published package)."""
    command = entry[client.command_key]
    args: list[str] = list(entry.get("args", []))
    name = command.rsplit("/", 1)[-1]
    if client.gui:
        assert command.startswith("/"), f"{command}: a GUI app does not inherit the shell's PATH"
    if name == "uvx":
        assert args[0] == "argo-mcp", args
        return args[1:]
    assert name == "argo-mcp", command
    return args


@pytest.mark.parametrize("label", list(CLIENTS))
def test_snippet_uses_the_clients_documented_keys(label: str, tmp_path: Path) -> None:
    client = CLIENTS[label]
    language, code = _snippets()[label]
    servers = client.servers(_parse(language, code))
    assert servers, label
    kinds = set()
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    for name, entry in servers.items():
        unknown = set(entry) - client.keys
        assert not unknown, (
            f"{label} {name}: {unknown} is not in the client's documented format ({client.source})"
        )
        if client.http_url_key is not None and client.http_url_key in entry:
            kinds.add("http")
            assert entry[client.http_url_key] == ENDPOINT, (label, name)
            assert client.command_key not in entry
            continue
        kinds.add("stdio")
        argv = [str(token) if arg in TOKEN_PATHS else arg for arg in _stdio_argv(client, entry)]
        assert argv[0] == "--stdio", (label, argv)
        settings = parse_settings(argv, env={})  # the command line argo-mcp really accepts
        assert settings.stdio and settings.argo.auth_mode is AuthMode.BEARER_FILE
        assert settings.argo.token_file == token
    assert "stdio" in kinds, f"{label}: a client that launches servers gets the --stdio command"
    if client.http_url_key is not None:
        assert kinds == {"http", "stdio"}, f"{label}: the client speaks streamable HTTP; show the URL too"


def test_client_specific_rules() -> None:
    snippets = {label: _parse(*snippet) for label, snippet in _snippets().items()}
    # Claude Desktop: uvx by its absolute path runs the published package.
    (desktop,) = snippets["Claude Desktop"]["mcpServers"].values()
    assert desktop["command"].endswith("/uvx") and desktop["args"][:2] == ["argo-mcp", "--stdio"]
    # VS Code: every entry has its type; the prompted token is declared as a password input.
    vscode = snippets["VS Code"]
    assert {s["type"] for s in vscode["servers"].values()} == {"http", "stdio"}
    (token_input,) = vscode["inputs"]
    assert token_input["password"] is True
    assert (
        f"${{input:{token_input['id']}}}" in vscode["servers"]["argo-workflows"]["headers"]["Authorization"]
    )
    # Codex: the server table is [mcp_servers.argo]; a token never sits in the file, only the variable's name.
    codex = snippets["Codex"]["mcp_servers"]
    assert "argo" in codex and "command" in codex["argo"]
    assert re.fullmatch(r"[A-Z_]+", codex["argo-http"]["bearer_token_env_var"])
    # Gemini CLI: `url` would be SSE.
    assert all("url" not in s for s in snippets["Gemini CLI"]["mcpServers"].values())
    # Goose: each extension names itself, with a type goose has.
    for key, ext in snippets["Goose"]["extensions"].items():
        assert ext["name"] == key and ext["enabled"] is True
        assert ext["type"] in ("stdio", "streamable_http")
    # Windsurf: the HTTP token comes from the environment through its ${env:...} interpolation.
    windsurf = snippets["Windsurf"]["mcpServers"]["argo-workflows"]
    assert re.fullmatch(r"Bearer \$\{env:[A-Z_]+\}", windsurf["headers"]["Authorization"])


def test_snippet_checks_really_refuse() -> None:
    """Guards the checks above: Cursor's `url` in a Gemini CLI entry, an unknown flag, a relative GUI command."""
    gemini = CLIENTS["Gemini CLI"]
    assert "url" not in gemini.keys
    with pytest.raises(SystemExit):
        parse_settings(["--stdio", "--argo-server-url", "https://a", "--argo-auth-kind", "none"], env={})
    with pytest.raises(AssertionError, match="PATH"):
        _stdio_argv(CLIENTS["Zed"], {"command": "argo-mcp", "args": ["--stdio"]})


def _package(registry_type: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [p for p in SERVER_JSON["packages"] if p["registryType"] == registry_type]
    assert len(found) == 1, registry_type
    return found[0]


def _env(package: dict[str, Any], **required: str) -> dict[str, str]:
    """The environment a registry client starts the package with: its defaults, plus the required values."""
    env = {v["name"]: v["default"] for v in package["environmentVariables"] if "default" in v}
    for v in package["environmentVariables"]:
        if v.get("isRequired"):
            assert v["name"] in required, f"{v['name']} is required by server.json"
    return {**env, **required}


def test_server_json_defaults_start_the_binary_as_its_own_defaults_do() -> None:
    """A registry client fills in server.json's defaults: they must start argo-mcp (no default that needs a
    value nobody was asked for, e.g. bearer-file without a token file), and mean what the binary does anyway
    outside a cluster (where uvx and docker run it)."""
    for registry_type, argv in (("pypi", ["--stdio"]), ("oci", [])):
        package = _package(registry_type)
        env = _env(package, ARGO_SERVER_URL="https://argo.example.com")
        try:
            with_defaults = parse_settings(argv, env=env)
        except ConfigError as exc:
            raise AssertionError(
                f"{registry_type}: server.json's defaults do not start argo-mcp: {exc}"
            ) from exc
        own = parse_settings(argv, env={"ARGO_SERVER_URL": "https://argo.example.com"})
        assert with_defaults == own, f"{registry_type}: a server.json default differs from the binary's"


def test_server_json_names_the_token_variables_of_each_auth_mode() -> None:
    for registry_type in ("pypi", "oci"):
        variables = {v["name"]: v for v in _package(registry_type)["environmentVariables"]}
        assert variables["ARGO_TOKEN"]["isSecret"] is True, registry_type
        assert "bearer" in variables["ARGO_TOKEN"]["description"]
        mode = variables["ARGO_AUTH_MODE"]
        assert set(mode["choices"]) == {m.value for m in AuthMode}, registry_type
    token_file = {v["name"]: v for v in _package("pypi")["environmentVariables"]}["ARGO_TOKEN_FILE"]
    assert token_file["format"] == "filepath" and "bearer-file" in token_file["description"]


def test_server_json_oci_entry_runs_the_image_reachable_on_loopback() -> None:
    """docker's arguments: removed on exit, the MCP port published on the host's loopback only (the image serves
    without inbound auth by default), and the transport URL is that port."""
    oci = _package("oci")
    assert oci["runtimeHint"] == "docker"
    args = {a["name"]: a.get("value") for a in oci["runtimeArguments"]}
    assert args == {"--rm": None, "--publish": "127.0.0.1:8081:8081"}
    assert oci["transport"] == {"type": "streamable-http", "url": ENDPOINT}
    assert "packageArguments" not in oci, "the image's entry point serves HTTP on 0.0.0.0:8081 by itself"
