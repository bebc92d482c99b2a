"""The RBAC rules each mode grants the server's ServiceAccount: the single table the Helm chart is generated from.

The Argo Server runs in client auth mode, so it forwards the server's token to the Kubernetes API and RBAC
decides every call. The rules are the smallest set the tools of each mode need:

- read-only: read Workflows, WorkflowTemplates, CronWorkflows, EventSources, Sensors, Pods and their logs;
  ``get`` on the artifact repository's credential Secrets by name only (artifact downloads read them with the
  caller's token), never on all Secrets.
- operate: also create/update/patch Workflows (submit, suspend, resume, resubmit, set), WorkflowTemplates and
  CronWorkflows (create, update; suspend and resume a CronWorkflow), EventSources, Sensors.
- full: also delete them, and delete Pods (retry and terminate remove a workflow's pods).

ClusterWorkflowTemplates are only ever read (get/list, the per-server ClusterRole below): a deployed server is
always confined to its target namespaces (``--namespaces``), and a confined server refuses to change a
cluster-scoped object, since a ClusterWorkflowTemplate reaches workflows in every namespace. So no deployment
grants create/update/delete on them.

The chart's ``templates/_generated.tpl`` is written from ``GRANTS`` by ``python -m argo_mcp_operator.chartgen``;
a unit test fails when it is stale, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

from argo_mcp_operator import constants as c
from argo_mcp_operator.spec import Mode

Rule = dict[str, Any]

ARGO_GROUP = "argoproj.io"
READ_VERBS = ("get", "list", "watch")
ALL_MODES: tuple[Mode, ...] = get_args(Mode)


@dataclass(frozen=True)
class Grant:
    """One rule of the per-namespace Role, the modes that get it, and whether it names the artifact Secrets."""

    api_group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    modes: tuple[Mode, ...] = ALL_MODES
    # Only with artifact repository Secrets configured, restricted to exactly those names.
    artifact_secrets: bool = False

    def rule(self, names: Sequence[str] = ()) -> Rule:
        rule: Rule = {"apiGroups": [self.api_group], "resources": list(self.resources)}
        if self.artifact_secrets:
            rule["resourceNames"] = list(names)
        rule["verbs"] = list(self.verbs)
        return rule


# What operate and full mode write: the namespaced Argo resources the mutating and destructive tools act on.
WRITABLE = ("workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors")

# In Role order: the chart renders the same rules in the same order.
GRANTS: tuple[Grant, ...] = (
    Grant(
        ARGO_GROUP, ("workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"), READ_VERBS
    ),
    Grant("", ("pods", "pods/log"), READ_VERBS),
    Grant("", ("secrets",), ("get",), artifact_secrets=True),
    Grant(ARGO_GROUP, WRITABLE, ("create", "update", "patch"), ("operate", "full")),
    Grant(ARGO_GROUP, WRITABLE, ("delete",), ("full",)),
    Grant("", ("pods",), ("delete",), ("full",)),
)

CLUSTER_WORKFLOW_TEMPLATE_GRANT = Grant(ARGO_GROUP, ("clusterworkflowtemplates",), ("get", "list"))


def namespace_rules(mode: Mode, artifact_repository_secrets: Sequence[str] = ()) -> list[Rule]:
    """The rules of the Role created in each target namespace."""
    names = list(dict.fromkeys(artifact_repository_secrets))
    return [
        grant.rule(names) for grant in GRANTS if mode in grant.modes and (names or not grant.artifact_secrets)
    ]


def cluster_workflow_template_rules() -> list[Rule]:
    """The rules of the per-server ClusterRole that lets a server read ClusterWorkflowTemplates."""
    return [CLUSTER_WORKFLOW_TEMPLATE_GRANT.rule()]


def target_use_rules(target: str) -> list[Rule]:
    """The rules of a target's ClusterRole: verb use on the virtual resource the server reviews before a call to
    that target (argo_mcp.calls.targets.use_permission). Nothing in Kubernetes serves it; only argo-mcp asks."""
    return [
        {
            "apiGroups": [c.GROUP],
            "resources": [c.TARGETS_RESOURCE],
            "resourceNames": [target],
            "verbs": ["use"],
        }
    ]
