"""The whole configuration of one argo-mcp process, validated once at start-up.

Every other module receives a `Settings` instead of reading flags or environment variables itself. The
defaults live here, in the models; each setting's flag, variable, bounds and help live once in
`config_table.py`, which reads these defaults for `--help` and the README; `cli.py` adds the cross-field checks.
"""

from __future__ import annotations

import enum
import ipaddress
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ConfigError(Exception):
    """Bad configuration; the message is shown to the operator as is.

    It lives here, beside the settings it is about, so that the transports (a port already taken) and the
    command line raise the same error without one importing the other.
    """


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts local connections (then an unauthenticated endpoint is tolerable)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


DEFAULT_SERVICE_ACCOUNT_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


def temp_root() -> Path:
    """The temporary directory the way `tempfile` would name it, without touching the filesystem.

    `tempfile.gettempdir()` probes every candidate by writing a file into it and raises "No usable temporary
    directory" when none is writable. The image runs with a read-only root filesystem, possibly with no
    writable /tmp at all, and a probe at import time killed argo-mcp before it could parse a flag. The default
    artifact directory is only a name until a download needs it; a download into a read-only place then fails
    with a message that names the directory and --artifact-dir (see `argo/streams.py`).
    """
    for variable in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(variable)
        if value:
            return Path(value)
    return Path("/tmp")


DEFAULT_ARTIFACT_DIR = temp_root() / "argo-mcp" / "artifacts"
DEFAULT_INLINE_ARTIFACT_BYTES = 256 * 1024

# Host names accepted on the MCP endpoint by default: loopback and the in-cluster Service DNS names. IP
# literals and single-label names (a Service's short name) are always accepted too (see transport/guard.py):
# a DNS-rebinding attacker can only make a browser send a multi-label name that the attacker's DNS controls.
DEFAULT_ALLOWED_HOSTS: tuple[str, ...] = (
    "localhost",
    "*.localhost",
    "*.svc",
    "*.svc.cluster.local",
)


MIB = 1024 * 1024
DEFAULT_MAX_BUFFERED_BYTES = 256 * MIB  # all answers being read at once: eight answers at the per-answer cap
DEFAULT_MAX_RESPONSE_BYTES = 32 * MIB  # one non-streamed Argo answer (a 500-item list of full workflows fits)
DEFAULT_MAX_ANSWER_BYTES = 4 * MIB  # one tool answer: already far more than an agent's context holds


def describe_size(size: float) -> str:
    """A byte count as people read it in a message: '32 MiB', '10 KiB', '1.5 MiB'."""
    if size >= MIB:
        return f"{size / MIB:.3g} MiB"
    return f"{size / 1024:.3g} KiB"


class AuthMode(enum.StrEnum):
    """How argo-mcp authenticates to the Argo Server (the reference's four modes)."""

    BEARER = "bearer"
    BEARER_FILE = "bearer-file"
    K8S_SERVICE_ACCOUNT = "k8s-service-account"
    NONE = "none"


class InboundAuthMode(enum.StrEnum):
    """Who may call the MCP endpoint over HTTP."""

    NONE = "none"
    KUBERNETES = "kubernetes"
    OIDC = "oidc"


class LogLevel(enum.StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class ToolGroup(enum.StrEnum):
    """Tool groups selectable with --toolsets."""

    INFO = "info"
    WORKFLOWS = "workflows"
    ARCHIVE = "archive"
    ARTIFACTS = "artifacts"
    EVENTS = "events"
    TEMPLATES = "templates"
    CRON = "cron"


class ArgoSettings(BaseModel):
    """How to reach and authenticate to the Argo Server."""

    model_config = ConfigDict(frozen=True)

    server_url: str
    auth_mode: AuthMode
    token: str | None = Field(default=None, repr=False)
    token_file: Path | None = None
    default_namespace: str = "argo"
    insecure_skip_tls_verify: bool = False
    ca_file: Path | None = None
    request_timeout: float = 30.0
    connect_timeout: float = 10.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_buffered_bytes: int = DEFAULT_MAX_BUFFERED_BYTES
    """The bytes of non-streamed Argo answers held at once across all concurrent calls."""


class HttpSettings(BaseModel):
    """The streamable HTTP listener."""

    model_config = ConfigDict(frozen=True)

    host: str = "0.0.0.0"
    port: int = 8081
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    allowed_origins: tuple[str, ...] = ()
    idle_timeout: float = 15.0
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    max_connections: int = 1000


class ScopeSettings(BaseModel):
    """Which tools are exposed and where they may act."""

    model_config = ConfigDict(frozen=True)

    read_only: bool = False
    disable_destructive: bool = False
    toolsets: frozenset[ToolGroup] = frozenset(ToolGroup)
    namespaces: tuple[str, ...] = ()
    redact_parameter_names: tuple[str, ...] = ()
    """Regular expressions that add to the built-in rules for secret parameter names (redaction.py)."""
    allowed_service_accounts: tuple[str, ...] = ()
    """`namespace:account` entries (`*` for any) that manifests and submits may run as; empty: no guard
    (calls/accounts.py)."""


class InboundAuthSettings(BaseModel):
    """Authentication of MCP callers on the HTTP transport."""

    model_config = ConfigDict(frozen=True)

    mode: InboundAuthMode = InboundAuthMode.NONE
    audience: str = "argo-mcp"
    resource_url: str | None = None
    oidc_issuer: str | None = None
    oidc_jwks_url: str | None = None
    cache_seconds: float = 30.0
    kubeconfig: str | None = None


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    stdio: bool = False
    http: HttpSettings = HttpSettings()
    argo: ArgoSettings
    scope: ScopeSettings = ScopeSettings()
    inbound: InboundAuthSettings = InboundAuthSettings()
    artifact_dir: Path = DEFAULT_ARTIFACT_DIR
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    max_inflight_calls: int = 64
    max_long_calls: int = 16
    """Long calls (waits, log follows, artifact downloads) running at once: a budget of their own."""
    max_long_calls_per_caller: int = 4
    """Long calls one caller may run at once (the inbound identity, or the client's address without one)."""
    inline_artifact_bytes: int = DEFAULT_INLINE_ARTIFACT_BYTES
    """Artifacts up to this size come back in the answer when no destinationPath is given (0: never)."""
    confirm_destructive: bool = False
    """Ask the client to confirm (elicitation) before a destructive tool runs."""
    task_key_file: Path | None = None
    """The key every replica shares for what argo-mcp seals (confirmations, task ids); None: a key of this
    process."""
    targets_file: Path | None = None
    """Several Argo servers behind one endpoint (targets.py); None: the one Argo server of the flags above."""
    log_level: LogLevel = LogLevel.INFO
