"""WorkflowTemplates, ClusterWorkflowTemplates and CronWorkflows: what `submit_workflow` submits from.

Without these an agent cannot find out which templates exist. Each kind is one `ArgoKind` declaration (kinds.py
makes its tools): list, get, create, update, delete and lint; CronWorkflows add suspend and resume. Create,
update and lint take a manifest (an object or YAML text) whose kind is checked; update replaces the spec,
reading the live resourceVersion when the manifest has none (conflicts.py).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import Any, Self

from pydantic import Field, PrivateAttr, field_validator, model_validator

from argo_mcp.settings import ToolGroup
from argo_mcp.tools.inputs import NamespacedInput, ResourceName, ToolInput, namespace_name
from argo_mcp.tools.kinds import (
    ArgoKind,
    ClusterDeleteInput,
    ClusterGetInput,
    ClusterListInput,
    DeleteInput,
    GetInput,
    KindInputs,
    ListKindInput,
    kind_tools,
)
from argo_mcp.tools.manifests import single_manifest
from argo_mcp.tools.registry import Tool
from argo_mcp.tools.template_shaping import (
    cron_detail,
    cron_summary,
    saved,
    template_detail,
    template_summary,
)

# Parameter help is short (every word is paid in each tools/list): a manifest is a Kubernetes object any model
# knows the shape of (its kind and apiVersion are filled in when left out).
MANIFEST_HELP = "Object or YAML text."
NAME_HELP = "Default: manifest.metadata.name."


# ---- inputs -------------------------------------------------------------------------------------------------
class ListWorkflowTemplatesInput(ListKindInput):
    name_pattern: str | None = Field(default=None, description="Only templates whose name contains this.")

    def extra_query(self) -> dict[str, Any]:
        return {"namePattern": self.name_pattern}


class ManifestField(ToolInput):
    manifest: dict[str, Any] | str = Field(description=MANIFEST_HELP)

    @field_validator("manifest")
    @classmethod
    def _one_document(cls, value: dict[str, Any] | str) -> dict[str, Any] | str:
        metadata = single_manifest(value, "manifest").get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise ValueError("metadata must be a mapping, e.g. {name: my-template}")
        return value

    _document: dict[str, Any] | None = PrivateAttr(default=None)

    def document(self) -> dict[str, Any]:
        """The manifest as a mapping (YAML text parsed once per call; the argument itself is never modified)."""
        if self._document is None:
            self._document = single_manifest(self.manifest, "manifest")
        return self._document

    def prepare(self) -> None:
        self.document()

    def metadata(self) -> dict[str, Any]:
        return dict(self.document().get("metadata") or {})

    @cached_property
    def documents(self) -> list[dict[str, Any]]:
        """The manifest parsed, as the registry reads it for the tool's scope (its metadata.namespace), whether
        it was given as an object or as YAML text."""
        return [self.document()]

    @property
    def audit_name(self) -> str | None:
        """The object's name for the audit line (the manifest may be YAML text)."""
        metadata = self.metadata()
        name = metadata.get("name") or metadata.get("generateName")
        return name if isinstance(name, str) else None


# A namespaced object's manifest: its metadata.namespace, when given, is the namespace acted in.
class ManifestInput(ManifestField, NamespacedInput):
    @model_validator(mode="after")
    def _namespace_from_manifest(self) -> Self:
        declared = self.metadata().get("namespace")
        if declared is None:
            return self
        if self.namespace is None:
            # Validated like the argument, so the allow-list and RBAC see a real namespace name.
            if not isinstance(declared, str):
                raise ValueError("manifest.metadata.namespace must be a string, e.g. 'argo'")
            self.namespace = namespace_name(declared)
        elif declared != self.namespace:
            raise ValueError(
                f"manifest.metadata.namespace {declared!r} does not match namespace {self.namespace!r}; "
                "give the same in both, or only one of them"
            )
        return self


class UpdateInput(ManifestInput):
    name: ResourceName | None = Field(default=None, description=NAME_HELP)


# A cluster-scoped object's manifest: it has no namespace.
class ClusterManifestInput(ManifestField):
    @model_validator(mode="after")
    def _no_namespace(self) -> Self:
        if self.metadata().get("namespace"):
            raise ValueError(
                "manifest.metadata.namespace is set, but a ClusterWorkflowTemplate is cluster-scoped; "
                "remove it (or use the workflow template tools for a namespaced template)"
            )
        return self


class ClusterUpdateInput(ClusterManifestInput):
    name: ResourceName | None = Field(default=None, description=NAME_HELP)


# ---- the three kinds ----------------------------------------------------------------------------------------
# The namespaced kinds (WorkflowTemplate, CronWorkflow) take the same inputs but for their list's filters.
NAMESPACED_INPUTS = KindInputs(
    list=ListKindInput,
    get=GetInput,
    create=ManifestInput,
    update=UpdateInput,
    delete=DeleteInput,
    lint=ManifestInput,
)
WORKFLOW_TEMPLATE = ArgoKind(
    kind="WorkflowTemplate",
    plural="workflow-templates",
    resource="workflowtemplates",
    body_key="template",
    singular="workflow_template",
    words="workflow template",
    group=ToolGroup.TEMPLATES,
    cluster=False,
    summary=template_summary,
    detail=template_detail,
    saved=saved,
    answer_key="workflowTemplate",
    inputs=replace(NAMESPACED_INPUTS, list=ListWorkflowTemplatesInput),
    descriptions={
        "list": "List WorkflowTemplates in a namespace: name, entrypoint, parameters.",
        "get": "Get a WorkflowTemplate: entrypoint, arguments with defaults, templates by name and type.",
        "create": "Create a WorkflowTemplate from a manifest.",
        "update": "Update a WorkflowTemplate: the manifest replaces it.",
        "delete": "Delete a WorkflowTemplate by name; workflows can no longer be submitted from it.",
        "lint": "Lint a WorkflowTemplate manifest server-side without creating it.",
    },
)
CLUSTER_WORKFLOW_TEMPLATE = ArgoKind(
    kind="ClusterWorkflowTemplate",
    plural="cluster-workflow-templates",
    resource="clusterworkflowtemplates",
    body_key="template",
    singular="cluster_workflow_template",
    words="cluster workflow template",
    group=ToolGroup.TEMPLATES,
    cluster=True,
    summary=template_summary,
    detail=template_detail,
    saved=saved,
    answer_key="clusterWorkflowTemplate",
    inputs=KindInputs(
        list=ClusterListInput,
        get=ClusterGetInput,
        create=ClusterManifestInput,
        update=ClusterUpdateInput,
        delete=ClusterDeleteInput,
        lint=ClusterManifestInput,
    ),
    descriptions={
        "list": "List ClusterWorkflowTemplates: name, entrypoint, parameters.",
        "get": "Get a ClusterWorkflowTemplate: entrypoint, arguments with defaults, templates by name and type.",
        "create": "Create a ClusterWorkflowTemplate from a manifest.",
        "update": "Update a ClusterWorkflowTemplate: the manifest replaces it.",
        "delete": "Delete a ClusterWorkflowTemplate by name; workflows can no longer be submitted from it.",
        "lint": "Lint a ClusterWorkflowTemplate manifest server-side without creating it.",
    },
)
CRON_WORKFLOW = ArgoKind(
    kind="CronWorkflow",
    plural="cron-workflows",
    resource="cronworkflows",
    body_key="cronWorkflow",
    singular="cron_workflow",
    words="cron workflow",
    group=ToolGroup.CRON,
    cluster=False,
    summary=cron_summary,
    detail=cron_detail,
    saved=saved,
    answer_key="cronWorkflow",
    inputs=NAMESPACED_INPUTS,
    descriptions={
        "list": "List CronWorkflows in a namespace: schedules, suspended, last run, outcome counts.",
        "get": "Get a CronWorkflow: schedules, policy, status and the workflow it runs.",
        "create": "Create a CronWorkflow from a manifest.",
        "update": "Update a CronWorkflow: the manifest replaces it.",
        "delete": "Delete a CronWorkflow by name; its schedule stops and it submits no more workflows.",
        "lint": "Lint a CronWorkflow manifest server-side without creating it.",
        "suspend": "Suspend a CronWorkflow: no new runs until resumed; running ones continue.",
        "resume": "Resume a suspended CronWorkflow: it schedules workflows again.",
    },
    actions=(("suspend", "suspended"), ("resume", "resumed")),
)

TOOLS: list[Tool[Any]] = [
    *kind_tools(WORKFLOW_TEMPLATE),
    *kind_tools(CLUSTER_WORKFLOW_TEMPLATE),
    *kind_tools(CRON_WORKFLOW),
]
