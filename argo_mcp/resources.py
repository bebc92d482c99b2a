"""MCP resources: workflows, their logs and the templates as `argo://` URIs, read through the tools themselves.

Each resource template is a declaration naming the read-only tool that answers it (`get_workflow`,
`get_workflow_logs`, `get_workflow_template`, ...). A read parses the URI into that tool's arguments and sends
the call down the call pipeline (argo_mcp/calls/), so the `--namespaces` allow-list, the caller's
SubjectAccessReview, the in-flight limit, the answer cap, the metrics and the logs are the tool's own, and no
Argo call is written twice. A template is offered only while
its tool is exposed (`--toolsets`). `resources/list` names the recent workflows of the namespaces argo-mcp may
act in (asked of `list_workflows`, per namespace, the same way).

Results carry the 2026-07-28 caching hints (`ttlMs`, `cacheScope`); the SDK leaves them out of the answers to
handshake-era clients (2025-06-18, 2025-11-25), whose schemas do not have them. What depends on the caller or
on Argo is `private`; only the template list, which depends on the server's flags alone, is `public`.

Authoring aids, listed by `resources/list` after the workflows and read without Argo (but for the version):
`argo://examples/templates` (one small Workflow per template type: container, script, steps, dag, resource,
suspend, http), `argo://schemas/workflow-spec/<line>` (the WorkflowSpec JSON schema of each pinned Argo line,
made from its swagger.json by `./dev gen`: ~50 KB, ~12k tokens each) and `argo://schemas/workflow-spec`, the
one of the server's own line, learned through `get_argo_version` (a call like any other; the nearest pinned
line of the same major when the server's is not pinned, the newest when the version is unknown; the schema's
title says which).

Failures are JSON-RPC errors: an unknown or malformed URI, a name Argo does not know (SEP-2164: -32602 with
the URI as data) and a refusal by the allow-list or RBAC are invalid params; Argo being unreachable or failing
is an internal error. Each message names the URI, and for a bad URI the forms argo-mcp serves.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

import mcp_types as types
import structlog
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

from argo_mcp import apps
from argo_mcp.argo.errors import ArgoNotFound
from argo_mcp.argo.version import UNKNOWN, ArgoVersion
from argo_mcp.calls import Answer, Call, CallPipeline, Refusal
from argo_mcp.calls.requests import caller_of, peer_of
from argo_mcp.settings import Settings
from argo_mcp.tools.registry import Tool
from argo_mcp.tools.shaping import finished_at

log = structlog.get_logger("argo_mcp.resources")

SCHEME = "argo://"
RECENT_WORKFLOWS = 20  # resources/list: the newest workflows, across the namespaces argo-mcp may act in
LIST_CONCURRENCY = (
    8  # namespaces listed at once by one resources/list (a long --namespaces stays gentle on Argo)
)
COMPLETED = frozenset({"Succeeded", "Failed", "Error"})

# Freshness hints (milliseconds). A running workflow changes every few seconds; a finished one rarely (a retry
# or a delete); templates change when someone edits them; the template list only when the server restarts.
TTL_RUNNING_MS = 5_000
TTL_COMPLETED_MS = 60_000
TTL_TEMPLATE_MS = 30_000
TTL_LIST_MS = 10_000
TTL_TEMPLATE_LIST_MS = 300_000

JSON = "application/json"
TEXT = "text/plain"
_VARIABLE = re.compile(r"\{(\w+)\}")


def _workflow_ttl(data: Any) -> int:
    phase = data.get("phase") if isinstance(data, dict) else None
    return TTL_COMPLETED_MS if phase in COMPLETED else TTL_RUNNING_MS


@dataclass(frozen=True)
class ResourceTemplateDecl:
    """One `argo://` URI template and the read-only tool whose answer is its content."""

    uri_template: str
    name: str
    title: str
    description: str
    tool: str
    mime_type: str
    ttl: Callable[[Any], int]
    """How long a client may keep the content, from the tool's answer (a finished workflow changes rarely)."""

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(_VARIABLE.findall(self.uri_template))

    @property
    def prefix(self) -> str:
        """The literal part before the first variable, e.g. `argo://workflows/`."""
        return self.uri_template.split("{", 1)[0]

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Each variable one path segment (no `/`, query or fragment), the rest literal."""
        return re.compile(
            "".join(
                f"(?P<{part[1:-1]}>[^/?#]+)" if _VARIABLE.fullmatch(part) else re.escape(part)
                for part in re.split(r"(\{\w+\})", self.uri_template)
                if part
            )
        )

    def match(self, uri: str) -> dict[str, str] | None:
        """The tool's arguments named by `uri`, or None when the URI is not of this form."""
        found = self.pattern.fullmatch(uri)
        return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}

    def uri(self, **values: str) -> str:
        return self.uri_template.format(**values)

    def to_mcp(self) -> types.ResourceTemplate:
        return types.ResourceTemplate(
            uri_template=self.uri_template,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
        )


WORKFLOW = ResourceTemplateDecl(
    "argo://workflows/{namespace}/{name}",
    "workflow",
    "Workflow",
    "A workflow's summary (phase, progress, parameters, outputs, failed and running nodes), as get_workflow answers.",
    "get_workflow",
    JSON,
    _workflow_ttl,
)
WORKFLOW_LOGS = ResourceTemplateDecl(
    "argo://workflows/{namespace}/{name}/logs",
    "workflow-logs",
    "Workflow logs",
    "The last 200 lines (at most 64 KiB) of the main containers of a workflow's pods, as get_workflow_logs answers.",
    "get_workflow_logs",
    TEXT,
    lambda _data: TTL_RUNNING_MS,
)
WORKFLOW_TEMPLATE = ResourceTemplateDecl(
    "argo://workflow-templates/{namespace}/{name}",
    "workflow-template",
    "WorkflowTemplate",
    "A WorkflowTemplate's summary (entrypoint, arguments with defaults, templates by name and type).",
    "get_workflow_template",
    JSON,
    lambda _data: TTL_TEMPLATE_MS,
)
CLUSTER_WORKFLOW_TEMPLATE = ResourceTemplateDecl(
    "argo://cluster-workflow-templates/{name}",
    "cluster-workflow-template",
    "ClusterWorkflowTemplate",
    "A ClusterWorkflowTemplate's summary (entrypoint, arguments with defaults, templates by name and type).",
    "get_cluster_workflow_template",
    JSON,
    lambda _data: TTL_TEMPLATE_MS,
)
CRON_WORKFLOW = ResourceTemplateDecl(
    "argo://cron-workflows/{namespace}/{name}",
    "cron-workflow",
    "CronWorkflow",
    "A CronWorkflow's summary (schedules, policy, status and the workflow it runs).",
    "get_cron_workflow",
    JSON,
    lambda _data: TTL_TEMPLATE_MS,
)
RESOURCE_TEMPLATES = (WORKFLOW, WORKFLOW_LOGS, WORKFLOW_TEMPLATE, CLUSTER_WORKFLOW_TEMPLATE, CRON_WORKFLOW)


TARGET_QUERY = "?target="
TARGET_TEMPLATE = "{?target}"
"""With several targets a URI names its target as a query (`argo://workflows/ns/name?target=staging`) and every
template ends in the RFC 6570 form `{?target}`; without, URIs are exactly today's."""


def split_target(uri: str) -> tuple[str, str | None]:
    """(the URI without its target, the target it names or None)."""
    base, found, target = uri.partition(TARGET_QUERY)
    return (base, target) if found else (uri, None)


def with_target(uri: str, target: str | None) -> str:
    return f"{uri}{TARGET_QUERY}{target}" if target else uri


# ---- authoring aids: static content, and the schema of the server's own Argo line -----------------------------
DATA = Path(__file__).parent / "data"
YAML = "application/yaml"
EXAMPLES_URI = "argo://examples/templates"
SCHEMA_URI = "argo://schemas/workflow-spec"
TTL_STATIC_MS = 3_600_000
TTL_SERVER_SCHEMA_MS = 300_000


@functools.cache
def schema_lines() -> tuple[str, ...]:
    """The Argo lines whose WorkflowSpec schema is packaged (`v3.7`, `v4.0`), oldest first."""
    found = [p.stem.removeprefix("workflow-spec-") for p in DATA.glob("workflow-spec-v*.json")]
    return tuple(sorted(found, key=lambda line: tuple(int(n) for n in line[1:].split("."))))


@functools.cache
def schema_text(line: str) -> str:
    return (DATA / f"workflow-spec-{line}.json").read_text()


def schema_line_for(version: ArgoVersion) -> tuple[str, str]:
    """The packaged line for a server `version`, and why: its own, the nearest older one of its major, or (an
    unknown version, or none of its major) the newest."""
    lines = schema_lines()
    if version.number is not None:
        if version.line in lines:
            return str(version.line), f"the line of this Argo ({version.text})"
        same_major = [
            line
            for line in lines
            if line.startswith(f"v{version.number[0]}.") and int(line.split(".")[1]) <= version.number[1]
        ]
        if same_major:
            return same_major[-1], f"the nearest pinned line to this Argo ({version.text})"
    return lines[-1], f"the newest pinned line (this Argo's version is {version.text})"


@dataclass(frozen=True)
class StaticResource:
    uri: str
    name: str
    title: str
    description: str
    mime_type: str

    def to_mcp(self) -> types.Resource:
        return types.Resource(
            uri=self.uri,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
        )


def authoring_resources(tools: Mapping[str, Tool[Any]]) -> list[StaticResource]:
    """The authoring aids this server lists: the server's own schema only while get_argo_version is exposed."""
    found = [
        StaticResource(
            EXAMPLES_URI,
            "template-examples",
            "Template examples",
            "One small Workflow per template type (container, script, steps, dag, resource, suspend, http).",
            YAML,
        )
    ]
    if "get_argo_version" in tools:
        found.append(
            StaticResource(
                SCHEMA_URI,
                "workflow-spec-schema",
                "Workflow spec schema",
                "JSON schema of a Workflow's spec for this server's Argo version (~12k tokens).",
                JSON,
            )
        )
    found.extend(
        StaticResource(
            f"{SCHEMA_URI}/{line}",
            f"workflow-spec-schema-{line}",
            f"Workflow spec schema, Argo {line}",
            f"JSON schema of a Workflow's spec for Argo {line} (~12k tokens).",
            JSON,
        )
        for line in schema_lines()
    )
    return found


def exposed_templates(tools: Mapping[str, Tool[Any]]) -> list[ResourceTemplateDecl]:
    """The templates whose tool this server exposes (toolsets and switches decide, as for tools/list)."""
    return [decl for decl in RESOURCE_TEMPLATES if decl.tool in tools]


def _bad_uri(uri: str, message: str) -> MCPError:
    return MCPError(types.INVALID_PARAMS, message, {"uri": uri})


def _forms(templates: Sequence[ResourceTemplateDecl]) -> str:
    return ", ".join(decl.uri_template for decl in templates) or "none (no resource template is exposed)"


def resolve(
    uri: str, templates: Sequence[ResourceTemplateDecl]
) -> tuple[ResourceTemplateDecl, dict[str, str]]:
    """The template `uri` is an instance of and the tool arguments it names; MCPError naming the URI and the
    expected form(s) otherwise. A URI of a known form whose tool is hidden says so."""
    for decl in templates:
        arguments = decl.match(uri)
        if arguments is not None:
            return decl, arguments
    hidden = next((d for d in RESOURCE_TEMPLATES if d not in templates and d.match(uri) is not None), None)
    if hidden is not None:
        raise _bad_uri(
            uri,
            f"Resource {uri!r} is read with {hidden.tool}, which is disabled on this server (--toolsets); "
            f"this server serves {_forms(templates)}",
        )
    related = [d for d in templates if uri.startswith(d.prefix)]
    if related:
        raise _bad_uri(
            uri,
            f"Bad resource URI {uri!r}: expected {' or '.join(d.uri_template for d in related)} (each part a "
            "Kubernetes name, no query or fragment)",
        )
    raise _bad_uri(uri, f"Unknown resource URI {uri!r}: argo-mcp serves {_forms(templates)}")


def _read_error(uri: str, decl: ResourceTemplateDecl, refusal: Refusal) -> MCPError:
    message = refusal.message or f"{decl.tool} failed"
    if refusal.outcome == "busy":
        return MCPError(types.INTERNAL_ERROR, message)
    if refusal.outcome == "invalid":
        return _bad_uri(uri, f"Bad resource URI {uri!r} (expected {decl.uri_template}): {message}")
    if refusal.outcome == "refused" or isinstance(refusal.failure, ArgoNotFound):
        return _bad_uri(uri, f"Cannot read {uri!r}: {message}")
    return MCPError(types.INTERNAL_ERROR, f"Cannot read {uri!r}: {message}", {"uri": uri})


Found = tuple[str | None, str, dict[str, Any]]
"""(target, namespace, workflow list item)."""


def _recent(items: list[Found]) -> list[Found]:
    # Newest first: not yet started (pending) before the latest start.
    return sorted(items, key=lambda item: str(item[2].get("startedAt") or "\uffff"), reverse=True)[
        :RECENT_WORKFLOWS
    ]


def _workflow_resource(namespace: str, item: dict[str, Any], target: str | None = None) -> types.Resource:
    name = str(item["name"])
    phase = item.get("phase") or "Pending"
    when = finished_at(item) or item.get("startedAt")
    return types.Resource(
        uri=with_target(WORKFLOW.uri(namespace=namespace, name=name), target),
        name=name,
        title=f"{target}: {namespace}/{name}" if target else f"{namespace}/{name}",
        description=f"Workflow {namespace}/{name}: {phase}"
        + (f", {item['progress']}" if item.get("progress") else ""),
        mime_type=JSON,
        annotations=types.Annotations(last_modified=str(when)) if when else None,
    )


def _namespaces(settings: Settings) -> tuple[str, ...]:
    return settings.scope.namespaces or (settings.argo.default_namespace,)


def resource_handlers(
    settings: Settings, pipeline: CallPipeline, tools: Mapping[str, Tool[Any]]
) -> dict[str, Any]:
    """`on_list_resources`, `on_list_resource_templates` and `on_read_resource` for the low-level server;
    `tools` are the exposed tools by name."""
    templates = exposed_templates(tools)
    multi = pipeline.targets.multi
    template_list = types.ListResourceTemplatesResult(
        resource_templates=[
            decl.to_mcp().model_copy(update={"uri_template": decl.uri_template + TARGET_TEMPLATE})
            if multi
            else decl.to_mcp()
            for decl in templates
        ],
        ttl_ms=TTL_TEMPLATE_LIST_MS,
        cache_scope="public",
    )
    # An MCP Apps client sees the workflow template linked to the view (apps.py); others the plain list.
    template_list_with_view = template_list.model_copy(
        update={
            "resource_templates": [
                t.model_copy(update={"meta": apps.VIEW_META})
                if t.uri_template.removesuffix(TARGET_TEMPLATE) == WORKFLOW.uri_template
                else t
                for t in template_list.resource_templates
            ]
        }
    )

    async def on_list_resource_templates(
        ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return template_list_with_view if apps.negotiated(ctx) else template_list

    aids = authoring_resources(tools)
    aid_uris = {aid.uri for aid in aids}

    def content(
        uri: str, mime_type: str, text: str, ttl: int, scope: Literal["public", "private"]
    ) -> types.ReadResourceResult:
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=mime_type, text=text)],
            ttl_ms=ttl,
            cache_scope=scope,
        )

    async def read_aid(
        ctx: ServerRequestContext[Any, Any], uri: str, target: str | None
    ) -> types.ReadResourceResult:
        if uri == EXAMPLES_URI:
            text = (DATA / "template-examples.yaml").read_text()
            return content(uri, YAML, text, TTL_STATIC_MS, "public")
        if uri != SCHEMA_URI:
            return content(uri, JSON, schema_text(uri.rsplit("/", 1)[1]), TTL_STATIC_MS, "public")
        # The server's own line: its version asked through get_argo_version (the pipeline's checks and limits).
        call = Call(
            tools["get_argo_version"],
            {},
            road="resources/read",
            caller=caller_of(ctx),
            peer=peer_of(ctx),
            target=target,
        )
        outcome = await pipeline.run(call)
        version = UNKNOWN
        if isinstance(outcome, Answer) and isinstance(outcome.data, dict):
            version = ArgoVersion.parse(str(outcome.data.get("version") or "unknown"))
        elif isinstance(outcome, Refusal) and outcome.outcome == "busy":
            raise MCPError(types.INTERNAL_ERROR, outcome.message)
        line, why = schema_line_for(version)
        schema = json.loads(schema_text(line))
        schema["title"] = f"{schema.get('title', '')}; {line}: {why}"
        return content(uri, JSON, json.dumps(schema, separators=(",", ":")), TTL_SERVER_SCHEMA_MS, "private")

    async def list_namespace(call: Call, namespace: str, slots: asyncio.Semaphore) -> list[Found]:
        async with slots:
            outcome = await pipeline.run(call)
        if isinstance(outcome, Refusal) and outcome.outcome == "busy":
            raise MCPError(types.INTERNAL_ERROR, outcome.message)
        if not isinstance(outcome, Answer) or not isinstance(outcome.data, dict):
            return []  # refused for this caller, or Argo failed: the call's log line says which
        items = outcome.data.get("items") or []
        # Only what is in the namespace asked about (and so passed its allow-list and RBAC check).
        return [
            (call.target, namespace, item)
            for item in items
            if isinstance(item, dict) and item.get("name") and item.get("namespace", namespace) == namespace
        ]

    async def on_list_resources(
        ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        lister = tools.get("list_workflows")
        resources: list[types.Resource] = []
        if lister is not None and WORKFLOW in templates:
            caller, peer = caller_of(ctx), peer_of(ctx)
            # Every target the caller may use (one: the flags' Argo server), every namespace of each.
            usable = await pipeline.targets.usable(caller, pipeline.authorize) if multi else []
            places: list[tuple[str | None, str]] = [
                (target.name, ns) for target in usable for ns in _namespaces(target.settings)
            ] or [(None, ns) for ns in ([] if multi else _namespaces(settings))]
            # Each namespace is one call, admitted like any other: never more at once than the limit allows.
            slots = asyncio.Semaphore(max(1, min(LIST_CONCURRENCY, pipeline.admission.limit)))
            calls = [
                (
                    ns,
                    Call(
                        lister,
                        {"namespace": ns, "limit": RECENT_WORKFLOWS},
                        road="resources/list",
                        caller=caller,
                        peer=peer,
                        target=target,
                    ),
                )
                for target, ns in places
            ]
            found = await asyncio.gather(*(list_namespace(call, ns, slots) for ns, call in calls))
            resources = [
                _workflow_resource(ns, item, target)
                for target, ns, item in _recent([i for f in found for i in f])
            ]
        resources.extend(aid.to_mcp() for aid in aids)
        if apps.negotiated(ctx):
            linked = [r.model_copy(update={"meta": apps.VIEW_META}) for r in resources]
            resources = [apps.view_resource(), *linked]
        return types.ListResourcesResult(resources=resources, ttl_ms=TTL_LIST_MS, cache_scope="private")

    async def on_read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        if uri == apps.VIEW_URI:
            # The view is static and names no workflow: nothing of Argo's is read, so no call to check.
            return types.ReadResourceResult(contents=[apps.view_contents()], ttl_ms=TTL_TEMPLATE_LIST_MS)
        base, target = split_target(uri) if multi else (uri, None)
        if base in aid_uris:
            return await read_aid(ctx, base, target)
        decl, arguments = resolve(base, templates)
        call = Call(
            tools[decl.tool],
            arguments,
            road="resources/read",
            caller=caller_of(ctx),
            peer=peer_of(ctx),
            target=target,
        )
        outcome = await pipeline.run(call)
        if not isinstance(outcome, Answer):
            assert isinstance(outcome, Refusal), "resources are read-only: nothing is confirmed"
            raise _read_error(uri, decl, outcome)
        text = outcome.text
        linked = apps.VIEW_META if decl is WORKFLOW and apps.negotiated(ctx) else None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=decl.mime_type, text=text, meta=linked)],
            ttl_ms=decl.ttl(outcome.data),
            cache_scope="private",
        )

    return {
        "on_list_resources": on_list_resources,
        "on_list_resource_templates": on_list_resource_templates,
        "on_read_resource": on_read_resource,
    }
