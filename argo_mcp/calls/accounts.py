"""The service-account guard (`--allowed-service-accounts`): which Kubernetes service accounts the workflows that
argo-mcp creates, updates or submits may run as, per namespace. Platform teams' most asked Argo safety control:
RBAC decides who may create a workflow, but the workflow's pods act with the service account it names, so
without this an agent allowed to create workflows could run them as any account of the namespace.

Entries are `namespace:account`; `*` stands for every namespace (`*:default`) or any account (`team-b:*`).

What is checked, before anything is sent (the call pipeline runs this after placement, for every tool that is
not read-only):
- every `serviceAccountName` anywhere in the manifest's spec (the workflow's, a template's, an executor's, an
  inline template's, a Sensor trigger's embedded Workflow), and the one a `podSpecPatch` sets;
- a workflow spec (Workflow, WorkflowTemplate, ClusterWorkflowTemplate, a CronWorkflow's workflowSpec) that
  names none runs as the namespace's `default` account (unless the controller's workflowDefaults name
  another), so it is checked as `default`: allow `*:default` to let such manifests through. One that runs a
  `workflowTemplateRef` runs as the template's account instead, which was checked when the template was made
  through argo-mcp, so it is not checked again;
- submit_workflow's `serviceAccount` option when given (without it the template's account applies, see above);
- a ClusterWorkflowTemplate runs in every namespace, so only `*:` entries allow its accounts;
- a name written as an expression (`{{inputs.parameters.sa}}`) is only known when the workflow runs, so it is
  refused: the guard can only allow names it can read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

ANY = "*"
DEFAULT = "default"
WORKFLOW_KINDS = frozenset({"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate"})
SKIPPED = frozenset({"labels", "annotations"})  # free-form maps: a key there is not an account


@dataclass(frozen=True)
class AccountRules:
    """The parsed `--allowed-service-accounts`: (namespace, account) pairs, either may be `*`."""

    entries: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, entries: Iterable[str]) -> AccountRules:
        return cls(tuple((ns, account) for ns, _, account in (entry.partition(":") for entry in entries)))

    def allowed(self, namespace: str) -> list[str]:
        """The accounts allowed in `namespace` ("" : a cluster-scoped object, allowed only by `*:` entries)."""
        return sorted(
            {account for ns, account in self.entries if ns == ANY or (namespace and ns == namespace)}
        )

    def allows(self, namespace: str, account: str) -> bool:
        allowed = self.allowed(namespace)
        return ANY in allowed or account in allowed


def _workflow_spec(document: dict[str, Any]) -> dict[str, Any] | None:
    """The spec that runs as one account: a workflow's, a template's, a CronWorkflow's workflowSpec. The kind
    may be left out (the tools fill it in), so it is recognised by the spec's shape then."""
    spec = document.get("spec")
    if not isinstance(spec, dict):
        return None
    kind = document.get("kind")
    if kind == "CronWorkflow" or (kind is None and "workflowSpec" in spec):
        inner = spec.get("workflowSpec")
        return inner if isinstance(inner, dict) else None
    if kind in WORKFLOW_KINDS or (kind is None and ("templates" in spec or "workflowTemplateRef" in spec)):
        return spec
    return None


def _patched_account(patch: str) -> tuple[bool, Any]:
    """(readable, the serviceAccountName a podSpecPatch sets or None)."""
    from argo_mcp.tools.manifests import manifest_documents  # noqa: PLC0415 - YAML only when a patch is there

    try:
        documents = manifest_documents(patch, what="a pod spec patch")
    except ValueError:
        return False, None
    return True, documents[0].get("serviceAccountName") if len(documents) == 1 else None


def named_accounts(document: dict[str, Any], where: str = "") -> Iterator[tuple[str, Any]]:
    """(path, account) for each account the manifest runs as: every serviceAccountName in it (outside its
    metadata), a podSpecPatch's, and `default` for a workflow spec that names none (see the module docstring).
    An unreadable podSpecPatch yields (path, None): what it sets cannot be known."""
    spec = _workflow_spec(document)
    if spec is not None and "serviceAccountName" not in spec and "workflowTemplateRef" not in spec:
        path = f"{where}spec.workflowSpec" if spec is not document.get("spec") else f"{where}spec"
        yield f"{path}.serviceAccountName (absent: the namespace's default account)", DEFAULT
    stack: list[tuple[str, Any]] = [
        (f"{where}{key}", value) for key, value in document.items() if key != "metadata"
    ]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "serviceAccountName":
                    yield f"{path}.{key}", value
                elif key == "podSpecPatch" and isinstance(value, str):
                    readable, account = _patched_account(value)
                    if not readable:
                        yield f"{path}.{key}", None
                    elif account is not None:
                        yield f"{path}.{key}.serviceAccountName", account
                elif key not in SKIPPED and isinstance(value, dict | list):
                    stack.append((f"{path}.{key}", value))
        elif isinstance(node, list):
            stack.extend((f"{path}[{index}]", value) for index, value in enumerate(node))


def refusal(
    rules: AccountRules,
    tool: str,
    namespace: str,
    documents: Iterable[Any],
    submitted: str | None = None,
) -> str | None:
    """Why the call is refused (every account it would run as that is not allowed, with where it is named and
    what is allowed instead), or None when every one is allowed."""
    problems: list[str] = []
    named: list[tuple[str, Any]] = [("serviceAccount", submitted)] if submitted is not None else []
    many = [doc for doc in documents if isinstance(doc, dict)]
    for index, document in enumerate(many):
        named.extend(named_accounts(document, f"[{index}]." if len(many) > 1 else ""))
    for path, account in sorted(named, key=lambda pair: pair[0]):
        if account is None:
            problems.append(f"{path} cannot be read as YAML or JSON, so the account it sets is unknown")
        elif not isinstance(account, str):
            problems.append(f"{path} is {account!r}, not a service account name")
        elif "{{" in account:
            problems.append(
                f"{path} is {account!r}, known only when the workflow runs; name the account itself"
            )
        elif not rules.allows(namespace, account):
            problems.append(f"{account!r} ({path})")
    if not problems:
        return None
    allowed = rules.allowed(namespace)
    where = (
        "every namespace (a ClusterWorkflowTemplate runs in any namespace: only '*:' entries count)"
        if not namespace
        else f"namespace {namespace!r}"
    )
    names = "any account, named as is" if ANY in allowed else ", ".join(allowed)
    allowed_text = f"Allowed in {where}: {names}" if allowed else f"No account is allowed in {where}"
    return (
        f"{tool} was refused: it would run pods as service accounts this server does not allow "
        f"(--allowed-service-accounts): {'; '.join(problems)}. {allowed_text}. Nothing was sent to Argo; "
        "name an allowed account in those fields, or ask the server's operator to allow the one you need."
    )
