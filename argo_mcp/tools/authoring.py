"""Authoring help that needs no Argo: `convert_manifest` rewrites a v3 manifest for Argo v4.

The rewrite is the table of tools/compat.py (schedule -> schedules, mutex -> mutexes, semaphore -> semaphores, a
memoize cache's configMap.key removed); what cannot be rewritten without the author (podPriority needs a
PriorityClass) is listed, not guessed. The replacements exist since Argo v3.6, so the result runs on v3.6+ too.

An object comes back as an object; YAML text comes back as YAML text, re-written only when something changed
(then without its comments: PyYAML does not keep them), byte for byte the input otherwise, so converting twice
changes nothing the second time.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from argo_mcp.policy import Scope
from argo_mcp.settings import ToolGroup
from argo_mcp.tools.compat import convert
from argo_mcp.tools.inputs import ToolInput
from argo_mcp.tools.manifests import manifest_documents
from argo_mcp.tools.registry import Tool, ToolContext, ToolKind


class ConvertInput(ToolInput):
    manifest: dict[str, Any] | str = Field(description="Object or YAML/JSON text.")

    @field_validator("manifest")
    @classmethod
    def _parse(cls, value: dict[str, Any] | str) -> dict[str, Any] | str:
        manifest_documents(value)
        return value


def _dump(documents: list[dict[str, Any]]) -> str:
    import yaml  # noqa: PLC0415 - like manifests.py: only a text manifest needs PyYAML

    return yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, width=1000)


async def convert_manifest(_ctx: ToolContext, args: ConvertInput) -> dict[str, Any]:
    documents = manifest_documents(args.manifest)
    results = [convert(document) for document in documents]
    several = len(results) > 1

    def where(index: int, text: str) -> str:
        return f"document {index}: {text}" if several else text

    changes = [where(i, change) for i, result in enumerate(results) for change in result.changes]
    manual = [where(i, item) for i, result in enumerate(results) for item in result.manual]
    converted: dict[str, Any] | str
    if isinstance(args.manifest, dict):
        converted = results[0].manifest
    else:
        converted = _dump([result.manifest for result in results]) if changes else args.manifest
    answer: dict[str, Any] = {"changed": bool(changes), "changes": changes}
    if manual:
        answer["manual"] = manual
    return {**answer, "manifest": converted}


TOOLS: list[Tool[Any]] = [
    Tool(
        name="convert_manifest",
        title="Convert a manifest for Argo v4",
        description=(
            "Rewrite a v3 Workflow, template or CronWorkflow manifest for Argo v4; says what changed. Sends nothing."
        ),
        group=ToolGroup.WORKFLOWS,
        kind=ToolKind.READ_ONLY,
        input_model=ConvertInput,
        handler=convert_manifest,
        scope=Scope.none(),
        idempotent=True,
    ),
]
