"""What a manifest is made of, where it changes how a call is treated.

Destructive by composition: a manifest whose templates delete or replace Kubernetes objects is destructive,
whatever tool carries it.

A WorkflowTemplate, CronWorkflow or Workflow with a `resource` template whose `action` is `delete` or `replace`
deletes or overwrites cluster objects when it runs, although the tool that creates it only adds an object to
Argo. The pipeline treats such a call as destructive: refused under `--disable-destructive`, put to the user
under `--confirm-destructive`, and audited as destructive.

Templates it refers to: a manifest that names a WorkflowTemplate (`workflowTemplateRef`, `templateRef`) makes
Argo read it; the caller is reviewed for that read too, so argo-mcp is no confused deputy for a caller who may
not read the template.

The walks are iterative (a manifest may nest deeply) and read only what the caller sent.
"""

from __future__ import annotations

from typing import Any

DESTRUCTIVE_ACTIONS = frozenset({"delete", "replace"})


def manifests(args: Any, field: str | None) -> list[Any]:
    """The manifest(s) the call carries in `field` (none when the tool takes none)."""
    value = getattr(args, field, None) if field else None
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def destructive_steps(args: Any, field: str | None) -> list[str]:
    """Each template of the manifest(s) in `field` that deletes or replaces objects, as "'name' (delete)"."""
    found: list[str] = []
    stack: list[Any] = manifests(args, field)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            resource = node.get("resource")
            if isinstance(resource, dict) and str(resource.get("action", "")).lower() in DESTRUCTIVE_ACTIONS:
                found.append(f"{node.get('name', '?')!r} ({str(resource['action']).lower()})")
            stack.extend(value for value in node.values() if isinstance(value, dict | list))
        elif isinstance(node, list):
            stack.extend(value for value in node if isinstance(value, dict | list))
    return sorted(found)


def refusal(tool: str, steps: list[str]) -> str:
    return (
        f"{tool} was refused: the manifest's templates delete or replace Kubernetes objects when they run "
        f"(resource templates {', '.join(steps)}), which makes the call destructive, and this server refuses "
        "destructive calls (--disable-destructive). Nothing was sent to Argo; remove those templates, or use a "
        "server that allows destructive tools."
    )


def _referenced(node: dict[str, Any]) -> tuple[str, bool] | None:
    for key in ("workflowTemplateRef", "templateRef"):
        ref = node.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("name"), str) and ref["name"]:
            return ref["name"], ref.get("clusterScope") is True
    return None


def template_refs(args: Any, field: str | None) -> set[tuple[str, bool]]:
    """The WorkflowTemplates (name, cluster-scoped) the manifest(s) in `field` refer to (`workflowTemplateRef`,
    a step's `templateRef`): Argo reads them with the caller's identity, so the caller is reviewed for them."""
    found: set[tuple[str, bool]] = set()
    stack: list[Any] = manifests(args, field)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = _referenced(node)
            if ref is not None:
                found.add(ref)
            stack.extend(value for value in node.values() if isinstance(value, dict | list))
        elif isinstance(node, list):
            stack.extend(value for value in node if isinstance(value, dict | list))
    return found
