"""Several Argo servers behind one endpoint: the targets file, and one `Settings` per target.

A target is everything that differs between Argo servers: where the server is and how argo-mcp proves who it
is there (URL, CA, token source), where calls may act (namespaces), and what they may do (mode, toolsets,
confirmation). Each target becomes a complete `Settings` (the process's own, with those fields replaced), so
every stage downstream (exposure, placement, the allow-list, confirmation, the Argo client) works per target
without knowing that targets exist. The model never supplies a target's definition: targets come from the
operator's file (`--targets-file`), and a call only names one.

The file follows the ArgoMCPServer spec's names (camelCase), so the chart, the operator and a hand-written file
share one shape. Tokens are never written in it: a token comes from a file (a mounted Secret, a projected
service-account token) or an environment variable (a Secret the pod's env refers to).
"""

from __future__ import annotations

import enum
import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from argo_mcp.settings import DEFAULT_SERVICE_ACCOUNT_TOKEN, AuthMode, ConfigError, Settings, ToolGroup

DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
MAX_TARGETS_FILE_BYTES = 1024 * 1024
MAX_TARGETS = 64
PROJECTED_TOKEN_ROOT = Path("/var/run/secrets/argo-mcp/targets")
"""Where the chart and the operator mount a target's audience-bound service-account token: <root>/<name>/token."""


class TargetMode(enum.StrEnum):
    """What calls to a target may do: read only; also change objects (no destructive tool); everything."""

    READ_ONLY = "read-only"
    OPERATE = "operate"
    FULL = "full"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ArgoServerSpec(_Strict):
    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+", max_length=2048)]
    ca_file: Path | None = Field(default=None, alias="caFile")
    insecure_skip_tls_verify: bool = Field(default=False, alias="insecureSkipTLSVerify")


class TargetAuthSpec(_Strict):
    mode: AuthMode = AuthMode.K8S_SERVICE_ACCOUNT
    audience: str | None = Field(default=None, max_length=253)
    """k8s-service-account: the audience of the projected token the deployment mounts for this target."""
    token_file: Path | None = Field(default=None, alias="tokenFile")
    """bearer-file (required) or k8s-service-account (overrides the projected token's path)."""
    token_env: str | None = Field(default=None, alias="tokenEnv", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """bearer: the environment variable that holds the token (set from a Secret), never the token itself."""

    @model_validator(mode="after")
    def _token_source(self) -> TargetAuthSpec:
        if self.mode is AuthMode.BEARER_FILE and self.token_file is None:
            raise ValueError("auth.mode bearer-file needs auth.tokenFile (the path of the mounted token)")
        if self.mode is AuthMode.BEARER and self.token_env is None:
            raise ValueError(
                "auth.mode bearer needs auth.tokenEnv (the environment variable that holds the token, set from "
                "a Secret); tokens are never written in the targets file"
            )
        return self


class TargetSpec(_Strict):
    name: Annotated[str, Field(max_length=63)]
    argo_server: ArgoServerSpec = Field(alias="argoServer")
    auth: TargetAuthSpec = TargetAuthSpec()
    namespaces: tuple[str, ...] = ()
    default_namespace: str | None = Field(default=None, alias="defaultNamespace")
    mode: TargetMode | None = None
    """None: the process's own --read-only / --disable-destructive."""
    toolsets: tuple[ToolGroup, ...] | None = None
    confirm_destructive: bool | None = Field(default=None, alias="confirmDestructive")

    @field_validator("name")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if not DNS_1123_LABEL.match(value):
            raise ValueError(
                f"target name {value!r} is not a DNS-1123 label (lower-case letters, digits and '-', "
                "starting and ending with a letter or digit, at most 63 characters)"
            )
        return value

    @field_validator("namespaces")
    @classmethod
    def _namespaces(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for namespace in value:
            if not DNS_1123_LABEL.match(namespace):
                raise ValueError(f"namespace {namespace!r} is not a Kubernetes namespace name")
        return value


class TargetsFile(_Strict):
    default_target: str | None = Field(default=None, alias="defaultTarget")
    targets: Annotated[list[TargetSpec], Field(min_length=1, max_length=MAX_TARGETS)]
    oidc_groups: dict[str, tuple[str, ...]] = Field(default_factory=dict, alias="oidcGroups")
    """With OIDC inbound auth: group -> the targets its members may use (Kubernetes inbound auth uses RBAC)."""

    @model_validator(mode="after")
    def _names(self) -> TargetsFile:
        names = [target.name for target in self.targets]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"target names must be unique; repeated: {', '.join(duplicates)}")
        if self.default_target is not None and self.default_target not in names:
            raise ValueError(
                f"defaultTarget {self.default_target!r} is not one of the targets ({', '.join(names)})"
            )
        if self.default_target is None and len(names) > 1:
            raise ValueError(
                "defaultTarget is required with more than one target: name the target a call without "
                f"`target` goes to ({', '.join(names)})"
            )
        for group, granted in self.oidc_groups.items():
            unknown = sorted(set(granted) - set(names))
            if unknown:
                raise ValueError(f"oidcGroups[{group!r}] names unknown targets: {', '.join(unknown)}")
        return self

    @property
    def default(self) -> str:
        return self.default_target or self.targets[0].name


def parse_targets(text: str, *, source: str) -> TargetsFile:
    """The file's YAML, validated; a ConfigError names the file, the field and the fix."""
    import yaml  # noqa: PLC0415 - only with a targets file: start-up stays lean without one

    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping with `targets:` (a list) and `defaultTarget:`")
    try:
        return TargetsFile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
        raise ConfigError(f"{source}: " + "; ".join(problems)) from None


def read_targets(path: Path) -> TargetsFile:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TARGETS_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the targets file {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_TARGETS_FILE_BYTES:
        raise ConfigError(f"the targets file {path} is over {MAX_TARGETS_FILE_BYTES} bytes")
    return parse_targets(data.decode("utf-8", errors="replace"), source=str(path))


def target_settings(base: Settings, spec: TargetSpec) -> Settings:
    """The process's settings with this target's Argo server, credentials, scope and mode."""
    auth = spec.auth
    token: str | None = None
    token_file: Path | None = auth.token_file
    if auth.mode is AuthMode.BEARER:
        assert auth.token_env is not None
        token = os.environ.get(auth.token_env)
        if not token:
            raise ConfigError(
                f"target {spec.name!r}: the environment variable {auth.token_env} (auth.tokenEnv) is empty or "
                "unset; set it from the Secret that holds the token"
            )
    elif auth.mode is AuthMode.K8S_SERVICE_ACCOUNT and token_file is None:
        token_file = (
            PROJECTED_TOKEN_ROOT / spec.name / "token"
            if auth.audience is not None
            else DEFAULT_SERVICE_ACCOUNT_TOKEN
        )
    argo = base.argo.model_copy(
        update={
            "server_url": spec.argo_server.url.rstrip("/"),
            "auth_mode": auth.mode,
            "token": token,
            "token_file": token_file,
            "ca_file": spec.argo_server.ca_file,
            "insecure_skip_tls_verify": spec.argo_server.insecure_skip_tls_verify,
            "default_namespace": spec.default_namespace
            or (spec.namespaces[0] if spec.namespaces else base.argo.default_namespace),
        }
    )
    scope_update: dict[str, Any] = {"namespaces": spec.namespaces}
    if spec.mode is not None:
        scope_update["read_only"] = spec.mode is TargetMode.READ_ONLY
        scope_update["disable_destructive"] = spec.mode is TargetMode.OPERATE
    if spec.toolsets is not None:
        scope_update["toolsets"] = frozenset(spec.toolsets)
    update: dict[str, Any] = {"argo": argo, "scope": base.scope.model_copy(update=scope_update)}
    if spec.confirm_destructive is not None:
        update["confirm_destructive"] = spec.confirm_destructive
    return base.model_copy(update=update)
