"""Every tool, called by a real MCP client over HTTP, sends the exact request Argo's swagger.json defines.

Each case names the tool's arguments, the Argo operation (operationId) it must reach, the path, the query
parameters and body Argo must receive, a canned Argo answer (validated against swagger.json by the stand-in)
and what the tool must return.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from argo_mcp.tools.shaping import WORKFLOW_LIST_FIELDS
from tests.support.fake_argo import FakeArgo, Workflow, ndjson_log
from tests.support.processes import ServerProcess, http_client, payload, text_of
from tests.support.samples import EVENT_SOURCE
from tests.support.tool_cases import Case, program

UID = "3f1e9c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
WF = Workflow("hello-abc12", labels={"workflows.argoproj.io/workflow-template": "hello"}).json()
WF_LIST = {"metadata": {"continue": "tok-2", "resourceVersion": "77"}, "items": [WF]}
ARCHIVED = Workflow("old-run", namespace="team-a", phase="Failed").json()
SENSOR = {
    "metadata": {"name": "on-webhook", "namespace": "argo", "resourceVersion": "34"},
    "spec": {
        "dependencies": [{"name": "dep", "eventSourceName": "webhook", "eventName": "example"}],
        "triggers": [{"template": {"name": "run-wf"}}],
    },
}


def summary_check(result: dict[str, Any]) -> None:
    assert result["continue"] == "tok-2"
    # The namespace is stated once for the list; no uid (names address live workflows).
    assert result["namespace"] == "argo"
    assert result["items"] == [
        {
            "name": "hello-abc12",
            "phase": "Running",
            "startedAt": "2026-11-25T10:00:01Z",
            "progress": "0/1",
            "template": "hello",
        }
    ]


def action_check(text: str) -> Callable[[dict[str, Any]], None]:
    def check(result: dict[str, Any]) -> None:
        assert text in result["result"]
        # the answer is the workflow's identity and phase, not Argo's whole Workflow object
        assert {k: v for k, v in result.items() if k != "result"} == {
            "name": "hello-abc12",
            "namespace": "argo",
            "uid": UID,
            "phase": "Running",
        }

    return check


CASES = [
    Case(
        "list_workflows",
        {
            "labelSelector": "app=etl,tier in (a,b)",
            "fieldSelector": "metadata.name=x",
            "limit": 5,
            "continue": "tok-1",
            "nameFilter": "Prefix",
            "createdAfter": "2026-11-01T00:00:00Z",
        },
        "WorkflowService_ListWorkflows",
        "/api/v1/workflows/argo",
        {
            "listOptions.labelSelector": "app=etl,tier in (a,b)",
            "listOptions.fieldSelector": "metadata.name=x",
            "listOptions.limit": "5",
            "listOptions.continue": "tok-1",
            "nameFilter": "Prefix",
            "createdAfter": "2026-11-01T00:00:00+00:00",
            "fields": WORKFLOW_LIST_FIELDS,
        },
        answer=WF_LIST,
        check=summary_check,
    ),
    Case(
        "get_workflow",
        {"name": "hello-abc12", "namespace": "team-a", "fields": "metadata,status.phase"},
        "WorkflowService_GetWorkflow",
        "/api/v1/workflows/team-a/hello-abc12",
        {"fields": "metadata,status.phase"},
        answer=WF,
        check=lambda r: (
            None
            if r["metadata"]["name"] == "hello-abc12" and "managedFields" not in r["metadata"]
            else pytest.fail(str(r))
        ),
    ),
    Case(
        "get_workflow_logs",
        {
            "name": "hello-abc12",
            "podName": "hello-abc12-123",
            "container": "main",
            "grep": "ERR",
            "tailLines": 10,
            "sinceSeconds": 60,
            "timestamps": True,
        },
        "WorkflowService_WorkflowLogs",
        "/api/v1/workflows/argo/hello-abc12/log",
        {
            "podName": "hello-abc12-123",
            "logOptions.container": "main",
            "grep": "ERR",  # grep before tailLines: Argo gets only the grep, argo-mcp takes the last 10
            "logOptions.sinceSeconds": "60",
            "logOptions.timestamps": "true",
        },
        extra={"stream": ndjson_log([("hello-abc12-123", "ERR one"), ("hello-abc12-456", "ERR two")])},
        check=lambda r: (
            None
            if r["log"] == "hello-abc12-123: ERR one\nhello-abc12-456: ERR two\n"
            and r["lines"] == 2
            and r["truncated"] is False
            else pytest.fail(str(r))
        ),
    ),
    Case(
        "get_pod_logs",
        {
            "name": "hello-abc12",
            "podName": "hello-abc12-123",
            "previous": True,
            "sinceTime": "2026-11-25T10:00:00Z",
        },
        "WorkflowService_PodLogs",
        "/api/v1/workflows/argo/hello-abc12/hello-abc12-123/log",
        {
            "logOptions.previous": "true",
            "logOptions.sinceTime.seconds": "1795600800",
            "logOptions.container": "main",
            "logOptions.tailLines": "200",  # the default: the last 200 lines
        },
        extra={
            "stream": ndjson_log([("hello-abc12-123", "line 1"), ("hello-abc12-123", "password=hunter2 ok")])
        },
        check=lambda r: None if r["log"] == "line 1\npassword=[redacted] ok\n" else pytest.fail(r["log"]),
    ),
    Case(
        "submit_workflow",
        {
            "resourceKind": "WorkflowTemplate",
            "resourceName": "hello",
            "parameters": {"message": "hi", "count": 3},
            "labels": {"team": "data"},
            "generateName": "hello-",
            "serviceAccount": "runner",
            "serverDryRun": False,
        },
        "WorkflowService_SubmitWorkflow",
        "/api/v1/workflows/argo/submit",
        body={
            "namespace": "argo",
            "resourceKind": "WorkflowTemplate",
            "resourceName": "hello",
            "submitOptions": {
                "parameters": ["message=hi", "count=3"],
                "labels": "team=data",
                "generateName": "hello-",
                "serviceAccount": "runner",
                "serverDryRun": False,
            },
        },
        answer=WF,
        check=action_check("submitted workflow argo/hello-abc12"),
        # With parameters, their names are checked against the template's first.
        extra={
            "WorkflowTemplateService_GetWorkflowTemplate": {
                "metadata": {"name": "hello", "namespace": "argo"},
                "spec": {"arguments": {"parameters": [{"name": "message"}, {"name": "count"}]}},
            }
        },
    ),
    Case(
        "lint_workflow",
        {
            "workflow": "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: x-}\n"
            "spec: {entrypoint: main, templates: [{name: main, container: {image: busybox}}]}\n"
        },
        "WorkflowService_LintWorkflow",
        "/api/v1/workflows/argo/lint",
        body={
            "namespace": "argo",
            "workflow": {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {"generateName": "x-", "namespace": "argo"},
                "spec": {
                    "entrypoint": "main",
                    "templates": [{"name": "main", "container": {"image": "busybox"}}],
                },
            },
        },
        answer=WF,
        check=lambda r: None if r["valid"] is True else pytest.fail(str(r)),
    ),
    Case(
        "create_workflow",
        {
            "manifest": "kind: Workflow\nmetadata: {generateName: hello-}\n"
            "spec: {entrypoint: main, templates: [{name: main, container: {image: busybox}}]}\n",
            "serverDryRun": True,
        },
        "WorkflowService_CreateWorkflow",
        "/api/v1/workflows/argo",
        body={
            "namespace": "argo",
            "serverDryRun": True,
            "workflow": {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {"generateName": "hello-", "namespace": "argo"},
                "spec": {
                    "entrypoint": "main",
                    "templates": [{"name": "main", "container": {"image": "busybox"}}],
                },
            },
        },
        answer=WF,
        check=lambda r: None if "nothing was created" in r["result"] else pytest.fail(str(r)),
    ),
    Case(
        "suspend_workflow",
        {"name": "hello-abc12"},
        "WorkflowService_SuspendWorkflow",
        "/api/v1/workflows/argo/hello-abc12/suspend",
        body={"namespace": "argo", "name": "hello-abc12"},
        answer=WF,
        check=action_check("suspended"),
    ),
    Case(
        "resume_workflow",
        {"name": "hello-abc12", "nodeFieldSelector": "displayName=approve"},
        "WorkflowService_ResumeWorkflow",
        "/api/v1/workflows/argo/hello-abc12/resume",
        body={"namespace": "argo", "name": "hello-abc12", "nodeFieldSelector": "displayName=approve"},
        answer=WF,
        check=action_check("resumed"),
    ),
    Case(
        "resubmit_workflow",
        {"name": "hello-abc12", "memoized": True, "parameters": {"a": "b"}},
        "WorkflowService_ResubmitWorkflow",
        "/api/v1/workflows/argo/hello-abc12/resubmit",
        body={"namespace": "argo", "name": "hello-abc12", "memoized": True, "parameters": ["a=b"]},
        answer=WF,
        check=action_check("resubmitted"),
    ),
    Case(
        "set_workflow",
        {
            "name": "hello-abc12",
            "nodeFieldSelector": "displayName=approve",
            "phase": "Succeeded",
            "message": "approved",
            "outputParameters": {"approved": True},
        },
        "WorkflowService_SetWorkflow",
        "/api/v1/workflows/argo/hello-abc12/set",
        body={
            "namespace": "argo",
            "name": "hello-abc12",
            "nodeFieldSelector": "displayName=approve",
            "phase": "Succeeded",
            "message": "approved",
            "outputParameters": '{"approved": "True"}',
        },
        answer=WF,
        check=action_check("updated"),
    ),
    Case(
        "retry_workflow",
        {"name": "hello-abc12", "restartSuccessful": True, "nodeFieldSelector": "templateName=a"},
        "WorkflowService_RetryWorkflow",
        "/api/v1/workflows/argo/hello-abc12/retry",
        body={
            "namespace": "argo",
            "name": "hello-abc12",
            "restartSuccessful": True,
            "nodeFieldSelector": "templateName=a",
        },
        answer=WF,
        check=action_check("retried"),
    ),
    Case(
        "stop_workflow",
        {"name": "hello-abc12", "message": "enough"},
        "WorkflowService_StopWorkflow",
        "/api/v1/workflows/argo/hello-abc12/stop",
        body={"namespace": "argo", "name": "hello-abc12", "message": "enough"},
        answer=WF,
        check=action_check("stopped"),
    ),
    Case(
        "terminate_workflow",
        {"name": "hello-abc12"},
        "WorkflowService_TerminateWorkflow",
        "/api/v1/workflows/argo/hello-abc12/terminate",
        body={"namespace": "argo", "name": "hello-abc12"},
        answer=WF,
        check=action_check("terminated"),
    ),
    Case(
        "delete_workflow",
        {"name": "hello-abc12", "gracePeriodSeconds": 0, "propagationPolicy": "Foreground", "force": True},
        "WorkflowService_DeleteWorkflow",
        "/api/v1/workflows/argo/hello-abc12",
        {
            "deleteOptions.gracePeriodSeconds": "0",
            "deleteOptions.propagationPolicy": "Foreground",
            "force": "true",
        },
        answer={},
        check=lambda r: None if r["result"] == "workflow argo/hello-abc12 deleted" else pytest.fail(str(r)),
    ),
    Case(
        "list_archived_workflows",
        {
            "namespace": "team-a",
            "labelSelector": "app=etl",
            "namePrefix": "old",
            "limit": 2,
            "startedAfter": "2026-11-01T00:00:00Z",
        },
        "ArchivedWorkflowService_ListArchivedWorkflows",
        "/api/v1/archived-workflows",
        {
            "namespace": "team-a",
            "listOptions.labelSelector": "app=etl",
            "namePrefix": "old",
            "listOptions.limit": "2",
            "listOptions.fieldSelector": "spec.startedAt>2026-11-01T00:00:00+00:00",
        },
        answer={"metadata": {}, "items": [ARCHIVED]},
        check=lambda r: (
            None
            if r["namespace"] == "team-a"
            and r["items"][0]
            == {
                "name": "old-run",
                "uid": UID,
                "phase": "Failed",
                "startedAt": "2026-11-25T10:00:01Z",
                "progress": "0/1",
            }
            and "continue" not in r
            else pytest.fail(str(r))
        ),
    ),
    Case(
        "get_archived_workflow",
        {"uid": UID},
        "ArchivedWorkflowService_GetArchivedWorkflow",
        f"/api/v1/archived-workflows/{UID}",
        answer=ARCHIVED,
        check=lambda r: None if r["metadata"]["name"] == "old-run" else pytest.fail(str(r)),
    ),
    Case(
        "list_archived_workflow_label_keys",
        {},
        "ArchivedWorkflowService_ListArchivedWorkflowLabelKeys",
        "/api/v1/archived-workflows-label-keys",
        {"namespace": "argo"},
        answer={"items": ["app", "team"]},
        check=lambda r: None if r["items"] == ["app", "team"] else pytest.fail(str(r)),
    ),
    Case(
        "list_archived_workflow_label_values",
        {"key": "app"},
        "ArchivedWorkflowService_ListArchivedWorkflowLabelValues",
        "/api/v1/archived-workflows-label-values",
        {"listOptions.labelSelector": "app", "namespace": "argo"},
        answer={"items": ["etl"]},
        check=lambda r: None if r == {"key": "app", "items": ["etl"]} else pytest.fail(str(r)),
    ),
    Case(
        "delete_archived_workflow",
        {"uid": UID},
        "ArchivedWorkflowService_DeleteArchivedWorkflow",
        f"/api/v1/archived-workflows/{UID}",
        {"namespace": "team-a"},
        answer={},
        extra={"ArchivedWorkflowService_GetArchivedWorkflow": ARCHIVED},
        check=lambda r: None if "deleted" in r["result"] else pytest.fail(str(r)),
    ),
    Case(
        "retry_archived_workflow",
        {"uid": UID, "restartSuccessful": True},
        "ArchivedWorkflowService_RetryArchivedWorkflow",
        f"/api/v1/archived-workflows/{UID}/retry",
        body={"uid": UID, "namespace": "team-a", "name": "old-run", "restartSuccessful": True},
        answer=ARCHIVED,
        extra={"ArchivedWorkflowService_GetArchivedWorkflow": ARCHIVED},
        check=lambda r: None if "retried" in r["result"] else pytest.fail(str(r)),
    ),
    Case(
        "resubmit_archived_workflow",
        {"uid": UID, "memoized": False, "parameters": {"x": 1}},
        "ArchivedWorkflowService_ResubmitArchivedWorkflow",
        f"/api/v1/archived-workflows/{UID}/resubmit",
        body={"uid": UID, "namespace": "team-a", "name": "old-run", "memoized": False, "parameters": ["x=1"]},
        answer=WF,
        extra={"ArchivedWorkflowService_GetArchivedWorkflow": ARCHIVED},
        check=lambda r: None if "argo/hello-abc12" in r["result"] else pytest.fail(str(r)),
    ),
    Case(
        "list_event_sources",
        {"labelSelector": "team=a"},
        "EventSourceService_ListEventSources",
        "/api/v1/event-sources/argo",
        {"listOptions.labelSelector": "team=a", "listOptions.limit": "100"},  # paged by default
        answer={"metadata": {}, "items": [EVENT_SOURCE]},
        check=lambda r: (
            None
            if r["namespace"] == "argo" and r["items"] == [{"name": "webhook", "sources": ["webhook"]}]
            else pytest.fail(str(r))
        ),
    ),
    Case(
        "get_event_source",
        {"name": "webhook"},
        "EventSourceService_GetEventSource",
        "/api/v1/event-sources/argo/webhook",
        answer=EVENT_SOURCE,
        check=lambda r: None if r["spec"]["webhook"]["example"]["port"] == "12000" else pytest.fail(str(r)),
    ),
    Case(
        "create_event_source",
        {"manifest": {"metadata": {"name": "webhook"}, "spec": EVENT_SOURCE["spec"]}},
        "EventSourceService_CreateEventSource",
        "/api/v1/event-sources/argo",
        body={
            "namespace": "argo",
            "eventSource": {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "EventSource",
                "metadata": {"name": "webhook", "namespace": "argo"},
                "spec": EVENT_SOURCE["spec"],
            },
        },
        answer=EVENT_SOURCE,
        check=lambda r: None if "created" in r["result"] else pytest.fail(str(r)),
    ),
    Case(
        "update_event_source",
        {"name": "webhook", "manifest": {"spec": EVENT_SOURCE["spec"]}},
        "EventSourceService_UpdateEventSource",
        "/api/v1/event-sources/argo/webhook",
        body={
            "namespace": "argo",
            "name": "webhook",
            "eventSource": {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "EventSource",
                "metadata": {"name": "webhook", "namespace": "argo", "resourceVersion": "12"},
                "spec": EVENT_SOURCE["spec"],
            },
        },
        answer=EVENT_SOURCE,
        extra={"EventSourceService_GetEventSource": EVENT_SOURCE},
        check=lambda r: None if "updated" in r["result"] else pytest.fail(str(r)),
    ),
    Case(
        "delete_event_source",
        {"name": "webhook", "gracePeriodSeconds": 5},
        "EventSourceService_DeleteEventSource",
        "/api/v1/event-sources/argo/webhook",
        {"deleteOptions.gracePeriodSeconds": "5"},
        answer={},
        check=lambda r: None if "deleted" in r["result"] else pytest.fail(str(r)),
    ),
    Case(
        "get_event_source_logs",
        {"name": "webhook", "eventSourceType": "webhook", "grep": "msg", "tailLines": 5},
        "EventSourceService_EventSourcesLogs",
        "/api/v1/stream/event-sources/argo/logs",
        {"name": "webhook", "eventSourceType": "webhook", "grep": "msg"},
        extra={
            "stream_raw": [
                {
                    "result": {
                        "namespace": "argo",
                        "eventSourceName": "webhook",
                        "eventName": "example",
                        "level": "info",
                        "time": "2026-11-25T10:00:00Z",
                        "msg": "started",
                    }
                }
            ]
        },
        check=lambda r: (
            None
            if r["log"] == "2026-11-25T10:00:00Z info [webhook/example] started\n"
            else pytest.fail(r["log"])
        ),
    ),
    Case(
        "list_sensors",
        {},
        "SensorService_ListSensors",
        "/api/v1/sensors/argo",
        {"listOptions.limit": "100"},
        answer={"metadata": {}, "items": [SENSOR]},
        check=lambda r: None if r["items"][0]["triggers"] == ["run-wf"] else pytest.fail(str(r)),
    ),
    Case(
        "get_sensor",
        {"name": "on-webhook", "namespace": "team-a"},
        "SensorService_GetSensor",
        "/api/v1/sensors/team-a/on-webhook",
        answer=SENSOR,
        check=lambda r: None if r["metadata"]["name"] == "on-webhook" else pytest.fail(str(r)),
    ),
    Case(
        "create_sensor",
        {"manifest": {"kind": "Sensor", "metadata": {"name": "on-webhook"}, "spec": SENSOR["spec"]}},
        "SensorService_CreateSensor",
        "/api/v1/sensors/argo",
        body={
            "namespace": "argo",
            "sensor": {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Sensor",
                "metadata": {"name": "on-webhook", "namespace": "argo"},
                "spec": SENSOR["spec"],
            },
        },
        answer=SENSOR,
        check=lambda r: None if "created" in r["result"] else pytest.fail(str(r)),
    ),
    Case(
        "update_sensor",
        {
            "name": "on-webhook",
            "manifest": {"metadata": {"name": "on-webhook", "resourceVersion": "99"}, "spec": SENSOR["spec"]},
        },
        "SensorService_UpdateSensor",
        "/api/v1/sensors/argo/on-webhook",
        body={
            "namespace": "argo",
            "name": "on-webhook",
            "sensor": {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Sensor",
                "metadata": {"name": "on-webhook", "namespace": "argo", "resourceVersion": "99"},
                "spec": SENSOR["spec"],
            },
        },
        answer=SENSOR,
        check=lambda r: None if "updated" in r["result"] else pytest.fail(str(r)),
    ),
    Case(
        "delete_sensor",
        {"name": "on-webhook", "propagationPolicy": "Background"},
        "SensorService_DeleteSensor",
        "/api/v1/sensors/argo/on-webhook",
        {"deleteOptions.propagationPolicy": "Background"},
        answer={},
        check=lambda r: None if "deleted" in r["result"] else pytest.fail(str(r)),
    ),
    Case(
        "get_sensor_logs",
        {"name": "on-webhook", "triggerName": "run-wf"},
        "SensorService_SensorsLogs",
        "/api/v1/stream/sensors/argo/logs",
        {"name": "on-webhook", "triggerName": "run-wf", "podLogOptions.tailLines": "200"},
        extra={
            "stream_raw": [
                {
                    "result": {
                        "namespace": "argo",
                        "sensorName": "on-webhook",
                        "triggerName": "run-wf",
                        "level": "info",
                        "time": "t1",
                        "msg": "triggered",
                    }
                }
            ]
        },
        check=lambda r: (
            None if r["log"] == "t1 info [on-webhook/run-wf] triggered\n" else pytest.fail(r["log"])
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_tool_sends_the_swagger_request_and_returns_the_answer(
    argo: FakeArgo, shared_server: ServerProcess, case: Case
) -> None:
    program(argo, case)
    async with http_client(shared_server.url) as client:
        result = await client.call_tool(case.tool, case.args)
    assert not result.is_error, text_of(result)
    request = argo.last(case.operation)
    assert request.path == case.path
    assert request.query_dict == case.query, f"query of {case.operation}"
    assert request.body == case.body
    answer = payload(result)
    assert isinstance(answer, dict)
    if result.structured_content is not None:  # a text answer (logs): its text once, metadata beside it
        assert text_of(result) not in str(result.structured_content), "the text is not sent twice"
        answer = {**answer, "log": text_of(result)}
    if case.check is not None:
        case.check(answer)


def test_every_tool_has_a_case() -> None:
    from argo_mcp.settings import ToolGroup
    from argo_mcp.tools import ALL_TOOLS

    covered = (
        {case.tool for case in CASES}
        | {"wait_for_workflow", "get_workflow_graph"}
        | {
            "get_argo_info",
            "get_argo_version",
            "get_user_info",
            "get_workflow_output_artifact",
            "get_workflow_input_artifact",
        }
        # Their own files drive these: test_template_tools.py (which checks it covers all 20) and
        # test_diagnosis.py.
        | {tool.name for tool in ALL_TOOLS if tool.group in (ToolGroup.TEMPLATES, ToolGroup.CRON)}
        | {"get_workflow_node", "diagnose_workflow"}
        | {"convert_manifest"}  # sends nothing to Argo: test_argo_versions.py checks it
    )
    assert {tool.name for tool in ALL_TOOLS} == covered
