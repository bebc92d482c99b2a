"""The RBAC rules each mode grants the server's ServiceAccount: the single table the Helm chart mirrors.

The Argo Server runs in client auth mode, so it forwards the server's token to the Kubernetes API and RBAC
decides every call. The rules are the smallest set the tools of each mode need:

- read-only: read Workflows, WorkflowTemplates, CronWorkflows, EventSources, Sensors, Pods and their logs;
  ``get`` on the artifact repository's credential Secrets by name only (artifact downloads read them with the
  caller's token), never on all Secrets.
- operate: also create/update/patch Workflows (submit, suspend, resume, resubmit, set), EventSources, Sensors.
- full: also delete them, and delete Pods (retry and terminate remove a workflow's pods).

Keep this table and the Helm chart's RBAC template identical (same rules, same order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from argo_mcp_operator.spec import Mode

Rule = dict[str, Any]

ARGO_GROUP = "argoproj.io"
READ_VERBS = ["get", "list", "watch"]


def _rule(api_group: str, resources: list[str], verbs: list[str], names: Sequence[str] = ()) -> Rule:
    rule: Rule = {"apiGroups": [api_group], "resources": resources}
    if names:
        rule["resourceNames"] = list(names)
    rule["verbs"] = verbs
    return rule


def namespace_rules(mode: Mode, artifact_repository_secrets: Sequence[str] = ()) -> list[Rule]:
    """The rules of the Role created in each target namespace."""
    rules = [
        _rule(
            ARGO_GROUP,
            ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"],
            list(READ_VERBS),
        ),
        _rule("", ["pods", "pods/log"], list(READ_VERBS)),
    ]
    if artifact_repository_secrets:
        rules.append(_rule("", ["secrets"], ["get"], names=list(dict.fromkeys(artifact_repository_secrets))))
    if mode in ("operate", "full"):
        rules.append(
            _rule(ARGO_GROUP, ["workflows", "eventsources", "sensors"], ["create", "update", "patch"])
        )
    if mode == "full":
        rules.append(_rule(ARGO_GROUP, ["workflows", "eventsources", "sensors"], ["delete"]))
        rules.append(_rule("", ["pods"], ["delete"]))
    return rules


def cluster_workflow_template_rules() -> list[Rule]:
    """The rules of the per-server ClusterRole that lets a server read ClusterWorkflowTemplates."""
    return [_rule(ARGO_GROUP, ["clusterworkflowtemplates"], ["get", "list"])]
