"""Manifest fields an Argo version removed: the one table, and what argo-mcp does with it.

Argo's API server decodes a manifest leniently: a field its types no longer have is dropped without a word
(HTTP 200), so a Workflow whose singular `synchronization.mutex` reaches Argo v4 runs without its lock, and only
a few removals are refused (v4 answers a CronWorkflow with only `schedule` "must have at least one schedule").
Each row of `RULES` names such a field, where it sits, the first version that drops or refuses it, and what to
write instead; the facts come from Argo's own types and upgrading notes (pkg/apis/workflow/v1alpha1 of v3.7.0
and v4.0.0, docs/upgrading.md and docs/deprecations.md of v4.0).

Three uses, one table:
- the call pipeline refuses a mutating call whose manifest uses a field the server's version drops or refuses,
  before anything is sent (`refusal`), so no loss is ever silent; the server's version is asked only when a
  manifest holds such a field, and an unknown version refuses nothing (argo-mcp never refuses on a guess);
- lint reports the fields with their replacement (`lint_notes`), and says so when the version is unknown;
- `convert_manifest` rewrites what can be rewritten mechanically and lists what needs the author (`convert`).

The walk is structural (a CronWorkflow's `spec` and `spec.workflowSpec`; a workflow spec's `templates`,
`templateDefaults` and the `inline` templates of steps and DAG tasks), never a search for a key anywhere: the
same key is a valid field elsewhere (`spec.priority` is a workflow's queue priority).
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from argo_mcp.argo.version import ArgoVersion

if TYPE_CHECKING:
    from argo_mcp.tools.registry import ToolContext

Fix = Callable[[dict[str, Any], str], str | None]
"""Rewrites the field `key` of `parent` in place and says what it did; None when an author must decide."""


class Where(enum.Enum):
    CRON = "a CronWorkflow's spec"
    SPEC = "a workflow spec"
    TEMPLATE = "a template"


def _into_list(plural: str) -> Fix:
    def fix(parent: dict[str, Any], key: str) -> str:
        value = parent[key]
        existing = parent.get(plural)
        items = list(existing) if isinstance(existing, list) else []
        if value not in items:
            items.append(value)
        # The list takes the singular's place (a reader finds it where the author put it).
        rebuilt = {plural if name == key else name: val for name, val in parent.items() if name != plural}
        rebuilt[plural] = items  # the value at the singular's place was the singular; the list replaces it
        parent.clear()
        parent.update(rebuilt)
        return f"moved into {plural} (a list)"

    return fix


def _drop_key(parent: dict[str, Any], key: str) -> str:
    del parent[key]
    return "removed (the ConfigMap is named by configMap.name; memoize.key names each entry)"


def _manual(_parent: dict[str, Any], _key: str) -> None:
    return None


@dataclass(frozen=True)
class Rule:
    where: Where
    path: tuple[str, ...]
    since: tuple[int, int, int]
    refused: bool
    """Argo answers an error (400); else it drops the field and answers 200."""
    use: str
    fix: Fix

    @property
    def since_text(self) -> str:
        return "v{}.{}.{}".format(*self.since)


V4 = (4, 0, 0)
V37 = (3, 7, 0)

RULES: tuple[Rule, ...] = (
    Rule(Where.CRON, ("schedule",), V4, True, "spec.schedules: a list, e.g. schedules: ['0 * * * *']",
         _into_list("schedules")),
    Rule(Where.SPEC, ("synchronization", "mutex"), V4, False, "synchronization.mutexes: a list of mutexes",
         _into_list("mutexes")),
    Rule(Where.SPEC, ("synchronization", "semaphore"), V4, False,
         "synchronization.semaphores: a list of semaphores", _into_list("semaphores")),
    Rule(Where.TEMPLATE, ("synchronization", "mutex"), V4, False, "synchronization.mutexes: a list of mutexes",
         _into_list("mutexes")),
    Rule(Where.TEMPLATE, ("synchronization", "semaphore"), V4, False,
         "synchronization.semaphores: a list of semaphores", _into_list("semaphores")),
    Rule(Where.TEMPLATE, ("memoize", "cache", "configMap", "key"), V4, False,
         "no key: configMap takes only a name (memoize.key names each cache entry)", _drop_key),
    Rule(Where.SPEC, ("podPriority",), V37, False,
         "podPriorityClassName: the name of a PriorityClass with that value", _manual),
    Rule(Where.TEMPLATE, ("priority",), V37, False,
         "the template's priorityClassName: the name of a PriorityClass with that value", _manual),
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    path: str
    """Where in the manifest, e.g. spec.workflowSpec.templates[1].synchronization.mutex."""
    rule: Rule

    def said(self) -> str:
        effect = "refuses" if self.rule.refused else "silently drops"
        return f"{self.path} (Argo {self.rule.since_text}+ {effect} it; use {self.rule.use})"

    def as_data(self) -> dict[str, str]:
        return {
            "field": self.path,
            "removedIn": self.rule.since_text,
            "argo": "refuses it (400)" if self.rule.refused else "drops it silently (200)",
            "use": self.rule.use,
        }


# ---- the walk -------------------------------------------------------------------------------------------------
def _mapping(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _templates(spec: dict[str, Any], at: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Every template of a workflow spec with its path: templates, templateDefaults, and inline ones."""
    stack: list[tuple[Any, str]] = []
    templates = spec.get("templates")
    if isinstance(templates, list):
        stack.extend((t, f"{at}.templates[{i}]") for i, t in enumerate(templates))
    stack.append((spec.get("templateDefaults"), f"{at}.templateDefaults"))
    while stack:
        node, path = stack.pop()
        template = _mapping(node)
        if template is None:
            continue
        yield template, path
        steps = template.get("steps")
        for i, group in enumerate(steps if isinstance(steps, list) else []):
            for j, step in enumerate(group if isinstance(group, list) else []):
                inline = (_mapping(step) or {}).get("inline")
                stack.append((inline, f"{path}.steps[{i}][{j}].inline"))
        tasks = (_mapping(template.get("dag")) or {}).get("tasks")
        for i, task in enumerate(tasks if isinstance(tasks, list) else []):
            stack.append(((_mapping(task) or {}).get("inline"), f"{path}.dag.tasks[{i}].inline"))


def _places(manifest: dict[str, Any]) -> Iterator[tuple[Where, dict[str, Any], str]]:
    """The objects of `manifest` the rules look into: (what it is, the object, its path)."""
    spec = _mapping(manifest.get("spec"))
    if spec is None:
        return
    kind = manifest.get("kind")
    if kind is None:  # the tool fills the kind in: recognised by the spec's own fields, else left alone
        if {"workflowSpec", "schedule", "schedules"} & spec.keys():
            kind = "CronWorkflow"
        elif {"templates", "entrypoint", "workflowTemplateRef", "synchronization"} & spec.keys():
            kind = "Workflow"
    if kind == "CronWorkflow":
        yield Where.CRON, spec, "spec"
        workflow_spec, at = _mapping(spec.get("workflowSpec")), "spec.workflowSpec"
    elif kind in ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate"):
        workflow_spec, at = spec, "spec"
    else:
        return
    if workflow_spec is None:
        return
    yield Where.SPEC, workflow_spec, at
    for template, path in _templates(workflow_spec, at):
        yield Where.TEMPLATE, template, path


def _parent(obj: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    for key in path[:-1]:
        found = _mapping(obj.get(key))
        if found is None:
            return None
        obj = found
    return obj if path[-1] in obj else None


def _found(manifest: dict[str, Any]) -> Iterator[tuple[Finding, dict[str, Any]]]:
    for where, obj, at in _places(manifest):
        for rule in RULES:
            if rule.where is not where:
                continue
            parent = _parent(obj, rule.path)
            if parent is not None and parent[rule.path[-1]] is not None:
                yield Finding(".".join((at, *rule.path)), rule), parent


def findings(manifest: dict[str, Any]) -> list[Finding]:
    """The removed fields `manifest` uses, whatever the server's version."""
    return [finding for finding, _parent in _found(manifest)]


def manifests_in(args: Any, field: str | None) -> list[dict[str, Any]]:
    """The parsed manifest(s) a tool's arguments carry in `field` (a mapping or a list of them)."""
    value = getattr(args, field, None) if field else None
    values = value if isinstance(value, list | tuple) else [value]
    return [item for item in values if isinstance(item, dict)]


# ---- the three uses -------------------------------------------------------------------------------------------
def refusal(tool: str, found: list[Finding], version: ArgoVersion) -> str | None:
    """The message refusing a call whose manifest uses fields `version` drops or refuses; None when it has none
    (or the version is unknown: nothing is refused on a guess)."""
    removed = [finding for finding in found if version.at_least(finding.rule.since)]
    if not removed:
        return None
    return (
        f"{tool} was refused: this Argo ({version.text}) does not keep "
        + "; ".join(finding.said() for finding in removed)
        + ". Nothing was sent to Argo; convert_manifest rewrites a v3 manifest for v4."
    )


def lint_notes(manifest: dict[str, Any], version: ArgoVersion) -> dict[str, Any]:
    """What lint adds for `manifest`: `removedFields` the server's version drops or refuses (which makes the
    manifest invalid: creating it would be refused), or `warnings` when the version is unknown."""
    found = findings(manifest)
    if not found:
        return {}
    if not version.known:
        return {
            "warnings": [
                f"Argo's version is unknown; Argo {f.rule.since_text}+ does not keep {f.path} (use {f.rule.use})"
                for f in found
            ]
        }
    removed = [f.as_data() for f in found if version.at_least(f.rule.since)]
    return {"valid": False, "removedFields": removed} if removed else {}


async def linted(ctx: ToolContext, manifest: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """A lint tool's `result` for `manifest` with `lint_notes` added; the version is asked only when the manifest
    uses a removed field."""
    if not findings(manifest):
        return result
    notes = lint_notes(manifest, await ctx.argo_version())
    warnings = [*result.get("warnings", []), *notes.pop("warnings", [])]
    return {**result, **notes, **({"warnings": warnings} if warnings else {})}


@dataclass(frozen=True)
class Converted:
    manifest: dict[str, Any]
    changes: list[str]
    manual: list[str]


def convert(manifest: dict[str, Any]) -> Converted:
    """`manifest` rewritten for Argo v4 (a copy; the input is untouched): each removed field rewritten where a
    rewrite keeps its meaning, listed in `manual` where an author must decide (podPriority needs a
    PriorityClass). Converting a converted manifest changes nothing."""
    result = copy.deepcopy(manifest)
    changes: list[str] = []
    manual: list[str] = []
    for finding, parent in list(_found(result)):
        done = finding.rule.fix(parent, finding.path.rsplit(".", 1)[1])
        if done is None:
            manual.append(
                f"{finding.path}: Argo {finding.rule.since_text}+ ignores it; use {finding.rule.use}"
            )
        else:
            changes.append(f"{finding.path}: {done}")
    return Converted(result, changes, manual)
