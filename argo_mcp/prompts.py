"""MCP prompts: ready-made investigations an agent (or its user) can start with one call.

Each prompt is a declaration (name, description, arguments, template); the template tells the agent which of
argo-mcp's tools to use in which order, so the answer rests on real Argo data rather than guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

from argo_mcp.calls.requests import fixed_list


@dataclass(frozen=True)
class PromptDecl:
    name: str
    title: str
    description: str
    arguments: tuple[tuple[str, str, bool], ...]  # (name, description, required)
    template: str

    def render(self, values: dict[str, str]) -> str:
        return self.template.format(**values)


PROMPTS = (
    PromptDecl(
        name="debug_failed_workflow",
        title="Debug a failed workflow",
        description="Find out why a workflow failed and propose a fix.",
        arguments=(
            ("name", "The workflow's name.", True),
            ("namespace", "Its namespace (default: the server's default namespace).", False),
        ),
        template=(
            "Investigate why the Argo workflow '{name}' in namespace '{namespace}' failed.\n"
            "1. Call diagnose_workflow (name={name}, namespace={namespace}): in one bounded answer it gives the "
            "failed and errored nodes with template, message, exit code, duration, retries, inputs and the tail "
            "of each failing pod's main log.\n"
            "2. If a log tail is cut short or the cause is not in it, call get_pod_logs with that node's pod name "
            "and tailLines=200 (use grep to narrow long logs).\n"
            "3. If a node failed on inputs, outputs or artifacts, call get_workflow_node with its id for the node "
            "in full.\n"
            "Then explain the root cause in a few sentences, quote the decisive log lines, and propose a fix. "
            "Suggest retry_workflow only if the failure looks transient, and say why."
        ),
    ),
    PromptDecl(
        name="summarize_recent_failures",
        title="Summarise recent failures",
        description="Summarise failed workflows in a namespace and group them by cause.",
        arguments=(
            ("namespace", "The namespace (default: the server's default namespace).", False),
            ("since", "Only runs created after this RFC 3339 time (optional).", False),
        ),
        template=(
            "Summarise the recent Argo workflow failures in namespace '{namespace}'{since_clause}.\n"
            "1. Call list_workflows with labelSelector='workflows.argoproj.io/phase in (Failed,Error)'"
            "{since_arg} and page with `continue` until done (limit 50).\n"
            "2. Call list_archived_workflows with the same selector for runs already archived.\n"
            "3. For the most frequent templates, call get_workflow_graph on one failing run each.\n"
            "Group the failures by template and by cause, give counts and the newest example of each, and say "
            "which look transient and which need a change."
        ),
    ),
    PromptDecl(
        name="submit_from_template",
        title="Run a workflow template",
        description="Submit a workflow from a WorkflowTemplate with chosen parameters and follow it to the end.",
        arguments=(
            ("template", "The WorkflowTemplate's name.", True),
            ("namespace", "Its namespace (default: the server's default namespace).", False),
            (
                "parameters",
                "Parameter values as name=value, separated by commas (optional; completion offers the "
                "template's parameters with their defaults).",
                False,
            ),
        ),
        template=(
            "Submit a workflow from the WorkflowTemplate '{template}' in namespace '{namespace}'"
            "{parameters_clause}.\n"
            "1. Call get_workflow_template (name={template}, namespace={namespace}) and check its entrypoint "
            "and parameters: a parameter without a default needs a value; ask the user for a missing one "
            "rather than guessing.\n"
            "2. Call submit_workflow with resourceKind=WorkflowTemplate, resourceName={template}, "
            "namespace={namespace} and the parameters as {{name: value}}.\n"
            "3. Follow the new workflow with wait_for_workflow (or get_workflow) until it finishes. If it "
            "fails, call diagnose_workflow and report the cause; otherwise report its outputs."
        ),
    ),
)


TARGET_ARGUMENT = ("target", "The Argo server (list_targets names them; default: {default}).", False)


def prompt_handlers(
    default_namespace: str, *, targets: tuple[str, ...] = (), default_target: str | None = None
) -> dict[str, Any]:
    """`on_list_prompts` / `on_get_prompt` for the low-level server. With several `targets`, every prompt takes
    an optional `target`, and the investigation it writes passes it to every tool call."""
    by_name = {prompt.name: prompt for prompt in PROMPTS}
    extra = (
        ((TARGET_ARGUMENT[0], TARGET_ARGUMENT[1].format(default=default_target), False),)
        if len(targets) > 1
        else ()
    )
    listing = types.ListPromptsResult(
        prompts=[
            types.Prompt(
                name=p.name,
                title=p.title,
                description=p.description,
                arguments=[
                    types.PromptArgument(name=n, description=d, required=r)
                    for n, d, r in (*p.arguments, *extra)
                ],
            )
            for p in PROMPTS
        ]
    )

    async def on_get_prompt(
        _ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        prompt = by_name.get(params.name)
        if prompt is None:
            raise MCPError(
                types.INVALID_PARAMS, f"unknown prompt {params.name!r}; prompts/list shows the prompts"
            )
        given = dict(params.arguments or {})
        missing = [n for n, _, required in prompt.arguments if required and not given.get(n)]
        if missing:
            raise MCPError(
                types.INVALID_PARAMS, f"prompt {prompt.name} needs the argument(s): {', '.join(missing)}"
            )
        since = given.get("since", "")
        parameters = given.get("parameters", "")
        values = {
            "namespace": given.get("namespace") or default_namespace,
            "name": given.get("name", ""),
            "template": given.get("template", ""),
            "parameters_clause": f" with the parameters {parameters}" if parameters else " with its defaults",
            "since_clause": f" since {since}" if since else "",
            "since_arg": f" and createdAfter='{since}'" if since else "",
        }
        text = prompt.render(values)
        target = given.get("target") if extra else None
        if target:
            if target not in targets:
                raise MCPError(
                    types.INVALID_PARAMS,
                    f"unknown target {target!r}; list_targets names the targets you may use",
                )
            text += f"\nThis is about the Argo server {target!r}: pass target={target} to every tool call."
        return types.GetPromptResult(
            description=prompt.description,
            messages=[types.PromptMessage(role="user", content=types.TextContent(text=text))],
        )

    return {"on_list_prompts": fixed_list(listing), "on_get_prompt": on_get_prompt}
