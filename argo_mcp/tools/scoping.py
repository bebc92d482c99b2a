"""Where a tool call acts, decided from the tool's declared `Scope` and enforced in this one place.

For every kind the same two gates apply before the request that acts: the `--namespaces` allow-list and the
caller's access check (a SubjectAccessReview under `--auth-inbound kubernetes`). A namespace is never inferred
from the shape of the input model, so a new tool cannot skip either gate by naming its field `namespace`: the
declaration is checked at import (`check_declarations`) and a tool that is not declared right is refused.
Cluster-scoped objects (ClusterWorkflowTemplates) have no namespace: the caller is checked cluster-wide, and a
server confined by `--namespaces` reads them but refuses to change them.

Refusals say honestly what Argo has seen: "Nothing was sent to Argo" is only said when that is true; for an
object addressed by UID the lookup that revealed its namespace has been sent, and the message says so.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel

from argo_mcp.policy import Permission, Scope, ScopeKind, ToolError
from argo_mcp.settings import Settings

NOTHING_SENT = "Nothing was sent to Argo."
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

AccessCheck = Callable[[str], Awaitable[None]]
"""The caller's access check for one namespace ("" = cluster-wide); raises ToolError when refused."""


@dataclass(frozen=True)
class Placement:
    """Where the call acts ("" for tools outside any namespace) and what a UID lookup read, if one was made."""

    namespace: str
    resolved: Any = None


def _refused(message: str, note: str) -> ToolError:
    return ToolError(f"{message.rstrip()} {note}")


def _allow_listed(settings: Settings, namespace: str) -> str | None:
    """Why `namespace` is refused by --namespaces, or None."""
    allowed = settings.scope.namespaces
    if allowed and namespace not in allowed:
        return (
            f"is outside the namespaces argo-mcp may act in ({', '.join(allowed)}); use one of those (the "
            "allow-list is set with --namespaces)."
        )
    return None


async def _gate(settings: Settings, check: AccessCheck, namespace: str, *, subject: str, note: str) -> None:
    """The allow-list, then the caller's access, for one namespace; both refusals carry `note`."""
    problem = _allow_listed(settings, namespace)
    if problem is not None:
        raise _refused(f"{subject} {namespace!r} {problem}", note)
    try:
        await check(namespace)
    except ToolError as exc:
        raise _refused(str(exc), note) from None


def _wire_name(field: str) -> str:
    return to_camel(field)


def _manifest_namespace(args: Any, field: str) -> str | None:
    """The one namespace the manifest(s) in `field` name, or None when they name none."""
    value = getattr(args, field)
    documents = value if isinstance(value, list) else [value]
    named: set[str] = set()
    for document in documents:
        metadata = document.get("metadata") if isinstance(document, dict) else None
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        if namespace in (None, ""):
            continue
        if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
            raise _refused(
                f"the manifest's metadata.namespace {namespace!r} is not a namespace: use a DNS-1123 label such "
                "as 'argo', or leave it out to use the tool's namespace.",
                NOTHING_SENT,
            )
        named.add(namespace)
    if len(named) > 1:
        raise _refused(
            f"the manifests name different namespaces ({', '.join(sorted(named))}); send the documents of "
            "each namespace in a separate call.",
            NOTHING_SENT,
        )
    return next(iter(named), None)


async def place(
    scope: Scope,
    args: Any,
    *,
    settings: Settings,
    check: AccessCheck,
    context: Any,
    tool_name: str,
    changes: bool,
) -> Placement:
    """Decide the call's namespace from its declared scope and pass it through both gates. `changes` says the
    tool is not read-only (for cluster-scoped objects that decides whether --namespaces lets it act)."""
    default = settings.argo.default_namespace
    argument: str | None = getattr(args, "namespace", None)
    if scope.kind is ScopeKind.NONE:
        return Placement("")
    if scope.kind is ScopeKind.CLUSTER:
        allowed = settings.scope.namespaces
        if allowed and changes:
            # A server confined to namespaces reads cluster-scoped objects but does not change them: a
            # ClusterWorkflowTemplate is used by workflows in every namespace, so a change reaches past the list.
            raise _refused(
                f"{tool_name} changes a cluster-scoped object, and this server is confined to the namespaces "
                f"{', '.join(allowed)} (--namespaces): a change would reach workflows in every namespace. Use a "
                "server started without --namespaces, or a namespaced WorkflowTemplate instead.",
                NOTHING_SENT,
            )
        try:
            await check("")
        except ToolError as exc:
            raise _refused(str(exc), NOTHING_SENT) from None
        return Placement("")
    if scope.kind is ScopeKind.MANIFEST:
        assert scope.field is not None
        named = _manifest_namespace(args, scope.field)
        if argument is not None and named is not None and named != argument:
            raise _refused(
                f"the manifest's metadata.namespace {named!r} does not match namespace {argument!r}; pass "
                f"namespace={named!r} (it must be one argo-mcp may act in) or remove metadata.namespace.",
                NOTHING_SENT,
            )
        namespace = argument or named or default
        await _gate(settings, check, namespace, subject="namespace", note=NOTHING_SENT)
        return Placement(namespace)
    uid = getattr(args, scope.field) if scope.kind is ScopeKind.RESOLVED_BY_UID and scope.field else None
    if uid is None:  # ARGUMENT, or a UID-capable tool addressed by name
        namespace = argument or default
        await _gate(settings, check, namespace, subject="namespace", note=NOTHING_SENT)
        return Placement(namespace)
    assert scope.resolve is not None
    wire = _wire_name(scope.field or "uid")
    if argument is not None:
        problem = _allow_listed(settings, argument)
        if problem is not None:
            raise _refused(f"namespace {argument!r} {problem}", NOTHING_SENT)
    namespace, resolved = await scope.resolve(context, args)
    note = (
        f"Only the lookup of {wire} {uid} was sent to Argo (to learn which namespace it is in); nothing else "
        "was sent or downloaded, and nothing of its answer is returned."
    )
    if not namespace:
        raise _refused(f"Argo's answer for {wire} {uid} names no namespace, so it cannot be confined.", note)
    if argument is not None and namespace != argument:
        raise _refused(
            f"{wire} {uid} is in namespace {namespace!r}, not {argument!r}; pass namespace={namespace!r} or "
            "leave namespace out.",
            note,
        )
    await _gate(settings, check, namespace, subject=f"{wire} {uid} is in namespace", note=note)
    return Placement(namespace, resolved)


# ---- declarations -------------------------------------------------------------------------------------------
MANIFEST_FIELDS = frozenset({"manifest", "workflow"})
"""Input fields that carry a Kubernetes manifest (its metadata.namespace is a namespace of its own)."""


def declaration_problems(
    name: str, scope: Scope | None, permission: Permission | None, fields: Iterable[str]
) -> list[str]:
    """What is wrong with one tool's declared scope and permission (empty when it can be enforced)."""
    fields = set(fields)
    if scope is None:
        return [f"{name}: declares no scope"]
    problems = []
    if permission is not None and scope.kind is ScopeKind.NONE:
        problems.append(f"{name}: declares permission '{permission.describe()}' without a scope")
    if permission is None and scope.kind is not ScopeKind.NONE:
        problems.append(
            f"{name}: has scope {scope.kind.value} but no permission, so no caller could be checked"
        )
    if "namespace" in fields and not scope.namespaced:
        problems.append(f"{name}: takes a namespace argument but its scope ({scope.kind.value}) ignores it")
    if scope.kind is ScopeKind.ARGUMENT and "namespace" not in fields:
        problems.append(f"{name}: scope argument needs a 'namespace' input field")
    if scope.kind is ScopeKind.ARGUMENT:
        # The default scope: a tool that also takes a manifest (whose metadata.namespace may name another
        # namespace) or a UID (which Argo resolves in any namespace) must say how that namespace is known.
        for field in sorted(fields & MANIFEST_FIELDS):
            problems.append(
                f"{name}: takes {field!r} but its scope is argument; declare Scope.manifest({field!r})"
            )
        for field in sorted(field for field in fields if field == "uid" or field.endswith("_uid")):
            problems.append(
                f"{name}: takes {field!r} but its scope is argument; declare Scope.resolved_by_uid"
            )
    if scope.kind in (ScopeKind.MANIFEST, ScopeKind.RESOLVED_BY_UID) and scope.field is None:
        problems.append(f"{name}: scope {scope.kind.value} names no field")
    if scope.kind is ScopeKind.RESOLVED_BY_UID:
        if scope.resolve is None:
            problems.append(f"{name}: scope resolved-by-uid has no resolver")
        if scope.field is not None and scope.field not in fields:
            problems.append(
                f"{name}: scope resolved-by-uid names {scope.field!r}, which is not an input field"
            )
    return problems
