"""The neutral vocabulary of access decisions, shared by the tools (which declare it), the call pipeline (which
enforces it) and access/ (which decides it): what a tool exercises (`Permission`), how its namespace is known
(`Scope`), who calls (`Caller`), the per-call decision (`Authorizer`), and `ToolError`.

It lives outside those packages so none has to import another's internals.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol


class Caller(Protocol):
    """Who made a call, as far as access decisions need to know: the inbound identity (access/caller.py)."""

    @property
    def username(self) -> str: ...


class ToolError(Exception):
    """A refusal or failure a handler wants the agent to see verbatim."""


@dataclass(frozen=True)
class Permission:
    """The Kubernetes permission a tool exercises through Argo (what a SubjectAccessReview asks about)."""

    verb: str
    resource: str
    group: str = "argoproj.io"
    subresource: str | None = None
    name: str | None = None
    """One named object (a target's `use`); None: any object of the resource."""

    def describe(self) -> str:
        target = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"{self.verb} {target}" + (f" ({self.group})" if self.group else "")


POD_LOGS = Permission("get", "pods", group="", subresource="log")
"""What every log tool exercises: Argo reads pod logs with the caller's identity."""

# What the workflow tools exercise, live and archived workflows alike (Argo checks the archive against the
# workflows resource too); named once so a reviewer reads a tool's RBAC as one word.
WORKFLOWS_LIST = Permission("list", "workflows")
WORKFLOWS_GET = Permission("get", "workflows")
WORKFLOWS_CREATE = Permission("create", "workflows")
WORKFLOWS_UPDATE = Permission("update", "workflows")
WORKFLOWS_DELETE = Permission("delete", "workflows")


class ScopeKind(enum.StrEnum):
    """How a tool's target namespace is known; the registry enforces the allow-list and RBAC for each."""

    ARGUMENT = "argument"  # the `namespace` argument, or the server's default namespace
    MANIFEST = "manifest"  # a manifest's metadata.namespace (which must agree with the argument, if given)
    RESOLVED_BY_UID = "resolved-by-uid"  # learned by reading the object by UID before anything else is done
    CLUSTER = "cluster"  # a cluster-scoped resource: checked cluster-wide; --namespaces refuses changes to it
    NONE = "none"  # no Kubernetes resource at all (Argo's server info): nothing to confine or authorize


Resolver = Callable[[Any, Any], Awaitable[tuple[str, Any]]]
"""(ToolContext, args) -> (namespace, what was read): the read that tells a UID-addressed object's namespace.
It is the one request the registry lets through before the namespace is checked; its answer reaches the handler
(as `ctx.resolved`) only once the namespace passed the allow-list and the caller's check."""


@dataclass(frozen=True)
class Scope:
    """A tool's declared scope. `field` names the manifest argument (MANIFEST) or the UID argument
    (RESOLVED_BY_UID; when that argument is absent the tool is addressed by name and the namespace argument
    applies). `resolve` performs the UID read."""

    kind: ScopeKind
    field: str | None = None
    resolve: Resolver | None = None

    @classmethod
    def argument(cls) -> Scope:
        return cls(ScopeKind.ARGUMENT)

    @classmethod
    def manifest(cls, field: str) -> Scope:
        return cls(ScopeKind.MANIFEST, field=field)

    @classmethod
    def by_uid(cls, field: str, resolve: Resolver) -> Scope:
        return cls(ScopeKind.RESOLVED_BY_UID, field=field, resolve=resolve)

    @classmethod
    def cluster(cls) -> Scope:
        return cls(ScopeKind.CLUSTER)

    @classmethod
    def none(cls) -> Scope:
        return cls(ScopeKind.NONE)

    @property
    def namespaced(self) -> bool:
        """Whether the tool acts in a namespace (so the allow-list and a namespaced access review apply)."""
        return self.kind in (ScopeKind.ARGUMENT, ScopeKind.MANIFEST, ScopeKind.RESOLVED_BY_UID)


Authorizer = Callable[[Permission, str, Caller | None], Awaitable[None]]
"""(permission, namespace, caller) -> None, or raise ToolError: the per-call access decision (access/authorize.py).
The namespace is "" for a cluster-wide check; the pipeline adds to a refusal what Argo has already seen."""
