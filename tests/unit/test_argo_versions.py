"""Argo versions (issue 26): argo-mcp learns the server's version and never lets a field that version drops or
refuses reach it silently; lint reports such fields, convert_manifest rewrites them; list_archived_workflows'
nameFilter is used only where Argo has it. The stand-in follows the swagger of the version each test asks for
(every pinned one: v3.7.12 and v4.0.7), and fails any request nobody programmed, so "refused before Argo is
called" is checked by the stand-in seeing nothing but the version request.

In process: the call pipeline over a real ArgoClient and the swagger stand-in (one per test, so each test has
its own version cache)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from argo_mcp.argo import version as argo_version
from argo_mcp.argo.client import ArgoClient
from argo_mcp.argo.version import ArgoVersion
from argo_mcp.calls import Answer, Call, CallPipeline, Refusal
from argo_mcp.settings import ArgoSettings, AuthMode, Settings
from argo_mcp.tools import ALL_TOOLS
from argo_mcp.tools.compat import convert, findings, lint_notes
from scripts.gen.argo_swagger import pinned_versions
from tests.support.fake_argo import FakeArgo, Workflow
from tests.support.processes import free_port
from tests.support.samples import VERSION
from tests.support.tool_cases import Case, program

BY_NAME = {tool.name: tool for tool in ALL_TOOLS}
V3, V4 = "v3.7.12", "v4.0.7"
VERSIONS = pinned_versions()
API = "argoproj.io/v1alpha1"


class StandIn:
    """The stand-in of one Argo version, an ArgoClient to it and a call pipeline over that client."""

    def __init__(self, fake: FakeArgo, pipeline: CallPipeline) -> None:
        self.fake = fake
        self.pipeline = pipeline

    def says_version(self, text: str) -> None:
        self.fake.on("InfoService_GetVersion", {**VERSION, "version": text, "gitTag": text})

    async def call(self, tool: str, args: dict[str, Any]) -> Answer | Refusal:
        outcome = await self.pipeline.run(Call(BY_NAME[tool], args))
        assert isinstance(outcome, Answer | Refusal)
        return outcome

    async def answer(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        outcome = await self.call(tool, args)
        assert isinstance(outcome, Answer), outcome.message if isinstance(outcome, Refusal) else outcome
        assert isinstance(outcome.data, dict)
        return outcome.data

    def sent(self) -> list[str]:
        return [r.operation for r in self.fake.requests]


async def _stand_in(version: str, tmp_path: Path) -> AsyncIterator[StandIn]:
    fake = FakeArgo(version)
    runner = web.AppRunner(fake.app, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}"
    client = ArgoClient(ArgoSettings(server_url=url, auth_mode=AuthMode.NONE))
    settings = Settings(
        argo=ArgoSettings(server_url=url, auth_mode=AuthMode.NONE, default_namespace="argo"),
        artifact_dir=tmp_path,
    )
    try:
        yield StandIn(fake, CallPipeline(settings, client))
    finally:
        await client.close()
        await runner.cleanup()
    assert not fake.violations, "\n".join(fake.violations)


@pytest.fixture(params=VERSIONS)
async def each(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StandIn]:
    """The stand-in of each pinned Argo version in turn."""
    async for stand_in in _stand_in(request.param, tmp_path):
        yield stand_in


@pytest.fixture
async def v4(tmp_path: Path) -> AsyncIterator[StandIn]:
    async for stand_in in _stand_in(V4, tmp_path):
        yield stand_in


@pytest.fixture
async def v3(tmp_path: Path) -> AsyncIterator[StandIn]:
    async for stand_in in _stand_in(V3, tmp_path):
        yield stand_in


def test_both_lines_are_pinned() -> None:
    assert {V3, V4} <= set(VERSIONS)


# ---- manifests --------------------------------------------------------------------------------------------------
def workflow_spec(**extra: Any) -> dict[str, Any]:
    return {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "busybox"}}], **extra}


def cron(spec: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "CronWorkflow",
        "metadata": {"name": "nightly", "namespace": "argo"},
        "spec": {"workflowSpec": spec or workflow_spec(), **extra},
    }


def template(kind: str = "WorkflowTemplate", /, **extra: Any) -> dict[str, Any]:
    metadata = {"name": "tpl"} if kind == "ClusterWorkflowTemplate" else {"name": "tpl", "namespace": "argo"}
    return {"apiVersion": API, "kind": kind, "metadata": metadata, "spec": workflow_spec(**extra)}


MUTEX: dict[str, Any] = {"synchronization": {"mutex": {"name": "db"}}}
SEMAPHORE: dict[str, Any] = {
    "synchronization": {"semaphore": {"configMapKeyRef": {"name": "limits", "key": "db"}}}
}
MEMO_TEMPLATE = {
    "name": "main",
    "memoize": {"key": "k", "maxAge": "1h", "cache": {"configMap": {"name": "cache", "key": "old"}}},
    "container": {"image": "busybox"},
}

# (tool, manifest, the field named in the refusal, the first version that loses it, the operation it sends)
REMOVED = [
    ("create_cron_workflow", cron(schedule="0 * * * *"), "spec.schedule", (4, 0, 0),
     "CronWorkflowService_CreateCronWorkflow"),
    ("create_workflow_template", template(**MUTEX), "spec.synchronization.mutex", (4, 0, 0),
     "WorkflowTemplateService_CreateWorkflowTemplate"),
    ("update_workflow_template",
     {**template(**SEMAPHORE), "metadata": {"name": "tpl", "namespace": "argo", "resourceVersion": "7"}},
     "spec.synchronization.semaphore", (4, 0, 0),
     "WorkflowTemplateService_UpdateWorkflowTemplate"),
    ("create_cluster_workflow_template",
     {**template("ClusterWorkflowTemplate"), "spec": {**workflow_spec(), "templates": [MEMO_TEMPLATE]}},
     "spec.templates[0].memoize.cache.configMap.key", (4, 0, 0),
     "ClusterWorkflowTemplateService_CreateClusterWorkflowTemplate"),
    ("create_cron_workflow", cron(workflow_spec(podPriority=5), schedules=["0 * * * *"]),
     "spec.workflowSpec.podPriority", (3, 7, 0), "CronWorkflowService_CreateCronWorkflow"),
]  # fmt: skip


def _server(stand_in: StandIn) -> str:
    """The version the stand-in's swagger is of (v4 added the sync-limit endpoints)."""
    return V4 if "/api/v1/sync/{namespace}" in stand_in.fake.spec["paths"] else V3


@pytest.mark.parametrize(
    ("tool", "manifest", "field", "since", "operation"), REMOVED, ids=[r[2] for r in REMOVED]
)
async def test_a_field_the_server_drops_is_refused_before_argo_is_called(
    each: StandIn,
    tool: str,
    manifest: dict[str, Any],
    field: str,
    since: tuple[int, int, int],
    operation: str,
) -> None:
    server = _server(each)
    each.says_version(server)
    if not ArgoVersion.parse(server).at_least(since):
        # This version still has the field: sent as written, after the one version request.
        each.fake.on(operation, manifest)
        await each.answer(tool, {"manifest": manifest})
        assert each.sent() == ["InfoService_GetVersion", operation]
        return
    outcome = await each.call(tool, {"manifest": manifest})
    assert isinstance(outcome, Refusal), outcome
    assert field in outcome.message and server in outcome.message
    assert "Nothing was sent to Argo" in outcome.message and "convert_manifest" in outcome.message
    assert each.sent() == ["InfoService_GetVersion"], "only the version was asked; the manifest never left"


async def test_older_argo_keeps_what_it_knows(v3: StandIn) -> None:
    """v3.7 still has the singular mutex and schedule: the manifest is sent as written."""
    v3.says_version(V3)
    manifest = cron(workflow_spec(**MUTEX), schedule="0 * * * *")
    v3.fake.on("CronWorkflowService_CreateCronWorkflow", manifest)
    await v3.answer("create_cron_workflow", {"manifest": manifest})
    assert v3.fake.last("CronWorkflowService_CreateCronWorkflow").body["cronWorkflow"]["spec"]["schedule"]


async def test_a_manifest_without_removed_fields_never_asks_the_version(each: StandIn) -> None:
    manifest = cron(schedules=["0 * * * *"])
    each.fake.on("CronWorkflowService_CreateCronWorkflow", manifest)
    await each.answer("create_cron_workflow", {"manifest": manifest})
    assert each.sent() == ["CronWorkflowService_CreateCronWorkflow"]


@pytest.mark.parametrize("answer", ["untagged", None], ids=["a-branch-build", "version-unreachable"])
async def test_an_unknown_version_refuses_nothing(v4: StandIn, answer: str | None) -> None:
    if answer is None:
        v4.fake.error("InfoService_GetVersion", 500, "internal", 13)
    else:
        v4.says_version(answer)
    manifest = template(**MUTEX)
    v4.fake.on("WorkflowTemplateService_CreateWorkflowTemplate", manifest)
    await v4.answer("create_workflow_template", {"manifest": manifest})
    assert v4.sent()[-1] == "WorkflowTemplateService_CreateWorkflowTemplate"


async def test_the_version_is_asked_once_and_get_argo_version_refreshes_it(v3: StandIn) -> None:
    v3.says_version(V4)
    for _ in range(3):
        assert isinstance(
            await v3.call("create_cron_workflow", {"manifest": cron(schedule="* * * * *")}), Refusal
        )
    assert v3.sent() == ["InfoService_GetVersion"]
    # The operator moved back to v3.7: get_argo_version's own answer replaces the cached one at once.
    v3.says_version(V3)
    assert (await v3.answer("get_argo_version", {}))["version"] == V3
    manifest = cron(schedule="* * * * *")
    v3.fake.on("CronWorkflowService_CreateCronWorkflow", manifest)
    await v3.answer("create_cron_workflow", {"manifest": manifest})  # v3 keeps the singular schedule: sent
    assert v3.sent() == [
        "InfoService_GetVersion",
        "InfoService_GetVersion",
        "CronWorkflowService_CreateCronWorkflow",
    ]


async def test_a_failed_version_fetch_is_asked_again_after_a_pause(
    v4: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = v4.pipeline.argo
    v4.fake.error("InfoService_GetVersion", 500, "internal", 13)
    assert not (await argo_version.server_version(client)).known
    assert not (await argo_version.server_version(client)).known  # within the pause: not asked again
    assert v4.sent() == ["InfoService_GetVersion"]
    monkeypatch.setattr(argo_version, "RETRY_SECONDS", 0.0)
    argo_version.forget(client)
    v4.says_version(V4)
    assert (await argo_version.server_version(client)).number == (4, 0, 7)


def test_versions_parse() -> None:
    assert ArgoVersion.parse("v4.0.7").number == (4, 0, 7)
    assert ArgoVersion.parse("v3.7.12+abc123.dirty").at_least((3, 7, 0))
    assert not ArgoVersion.parse("latest").known
    assert not ArgoVersion.parse("untagged").at_least((0, 0, 0))


# ---- lint -------------------------------------------------------------------------------------------------------
LINTED = Workflow("x").json()


async def test_lint_reports_what_v4_drops_though_argo_calls_it_valid(v4: StandIn) -> None:
    v4.says_version(V4)
    v4.fake.on("WorkflowService_LintWorkflow", LINTED)  # Argo v4 drops the mutex and lints the rest: valid
    manifest = {
        "apiVersion": API,
        "kind": "Workflow",
        "metadata": {"generateName": "x-"},
        "spec": workflow_spec(**MUTEX),
    }
    result = await v4.answer("lint_workflow", {"workflow": manifest})
    assert result["valid"] is False
    assert result["removedFields"] == [
        {
            "field": "spec.synchronization.mutex",
            "removedIn": "v4.0.0",
            "argo": "drops it silently (200)",
            "use": "synchronization.mutexes: a list of mutexes",
        }
    ]


async def test_lint_of_a_cron_workflow_on_v4_keeps_argos_finding_and_names_the_replacement(
    v4: StandIn,
) -> None:
    v4.says_version(V4)
    v4.fake.error(
        "CronWorkflowService_LintCronWorkflow", 400, "cron workflow must have at least one schedule", 3
    )
    result = await v4.answer("lint_cron_workflow", {"manifest": cron(schedule="0 * * * *")})
    # v4's swagger requires schedules: the stand-in, like Argo, answers 400 (and records what its swagger says).
    assert v4.fake.violations == [
        "CronWorkflowService_LintCronWorkflow: body does not match swagger at 'cronWorkflow/spec': "
        "'schedules' is a required property"
    ]
    v4.fake.violations.clear()
    assert result["valid"] is False and "schedules" in result["errors"]
    assert [f["field"] for f in result["removedFields"]] == ["spec.schedule"]


async def test_lint_on_v3_adds_nothing_and_warns_when_the_version_is_unknown(v3: StandIn) -> None:
    v3.says_version(V3)
    v3.fake.on("WorkflowTemplateService_LintWorkflowTemplate", template(**MUTEX))
    result = await v3.answer("lint_workflow_template", {"manifest": template(**MUTEX)})
    assert result["valid"] is True and "removedFields" not in result and "warnings" not in result
    argo_version.forget(v3.pipeline.argo)
    v3.says_version("untagged")
    result = await v3.answer("lint_workflow_template", {"manifest": template(**MUTEX)})
    assert result["valid"] is True
    assert result["warnings"] == [
        "Argo's version is unknown; Argo v4.0.0+ does not keep spec.synchronization.mutex "
        "(use synchronization.mutexes: a list of mutexes)"
    ]


LINT_TABLE = [
    # (manifest, version, the fields lint reports as removed)
    (cron(schedule="x"), "v4.0.7", ["spec.schedule"]),
    (cron(schedule="x"), "v3.7.12", []),
    (cron(workflow_spec(podPriority=1), schedules=["x"]), "v3.7.12", ["spec.workflowSpec.podPriority"]),
    (cron(workflow_spec(podPriority=1), schedules=["x"]), "v3.6.5", []),
    (template(**MUTEX, priority=3), "v4.0.7", ["spec.synchronization.mutex"]),  # spec.priority is a live field
    ({**template(), "spec": {**workflow_spec(), "templates": [{**MEMO_TEMPLATE, "priority": 2, **SEMAPHORE}]}},
     "v4.0.7",
     ["spec.templates[0].synchronization.semaphore", "spec.templates[0].memoize.cache.configMap.key",
      "spec.templates[0].priority"]),
    ({**template(), "spec": {**workflow_spec(templateDefaults=MUTEX), "templates": [
        {"name": "main", "dag": {"tasks": [{"name": "a", "inline": {**SEMAPHORE, "container": {"image": "b"}}}]}},
        {"name": "s", "steps": [[{"name": "b", "inline": {**MUTEX, "container": {"image": "b"}}}]]}]}},
     "v4.1.2",
     ["spec.templateDefaults.synchronization.mutex", "spec.templates[1].steps[0][0].inline.synchronization.mutex",
      "spec.templates[0].dag.tasks[0].inline.synchronization.semaphore"]),
    ({"kind": "EventSource", "spec": {"schedule": "x"}}, "v4.0.7", []),
    (template(), "v4.0.7", []),
]  # fmt: skip


@pytest.mark.parametrize(("manifest", "version", "removed"), LINT_TABLE)
def test_lint_table(manifest: dict[str, Any], version: str, removed: list[str]) -> None:
    notes = lint_notes(manifest, ArgoVersion.parse(version))
    assert sorted(f["field"] for f in notes.get("removedFields", [])) == sorted(removed)
    assert notes.get("valid", True) is (not removed)


# ---- convert ----------------------------------------------------------------------------------------------------
CONVERT_TABLE = [
    # (manifest, what it becomes, how many changes, how many need the author)
    (cron(schedule="0 1 * * *"), cron(schedules=["0 1 * * *"]), 1, 0),
    (cron(schedule="0 1 * * *", schedules=["0 1 * * *"]), cron(schedules=["0 1 * * *"]), 1, 0),
    (template(synchronization={"mutex": {"name": "a"}, "mutexes": [{"name": "b"}]}),
     template(synchronization={"mutexes": [{"name": "b"}, {"name": "a"}]}), 1, 0),
    (template(**SEMAPHORE), template(synchronization={"semaphores": [SEMAPHORE["synchronization"]["semaphore"]]}),
     1, 0),
    ({**template(), "spec": {**workflow_spec(), "templates": [MEMO_TEMPLATE]}},
     {**template(), "spec": {**workflow_spec(), "templates": [
         {**MEMO_TEMPLATE, "memoize": {"key": "k", "maxAge": "1h", "cache": {"configMap": {"name": "cache"}}}}]}}, 1, 0),
    (template(podPriority=3), template(podPriority=3), 0, 1),
    (template(), template(), 0, 0),
]  # fmt: skip


@pytest.mark.parametrize(("before", "after", "changes", "manual"), CONVERT_TABLE)
def test_convert_table(before: dict[str, Any], after: dict[str, Any], changes: int, manual: int) -> None:
    original = copy.deepcopy(before)
    converted = convert(before)
    assert before == original, "the input is not modified"
    assert converted.manifest == after
    assert (len(converted.changes), len(converted.manual)) == (changes, manual)
    again = convert(converted.manifest)
    assert again.manifest == after and again.changes == [], "converting twice changes nothing"
    assert not [f for f in findings(after) if f.rule.fix.__name__ != "_manual"]


async def test_convert_manifest_rewrites_yaml_text_and_sends_nothing(v4: StandIn) -> None:
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: nightly\nspec:\n"
        "  schedule: '0 1 * * *'\n  timezone: UTC\n  workflowSpec:\n    entrypoint: main\n    podPriority: 2\n"
        "    templates:\n    - name: main\n      container: {image: busybox}\n"
    )
    result = await v4.answer("convert_manifest", {"manifest": text})
    assert result["changed"] is True
    assert result["changes"] == ["spec.schedule: moved into schedules (a list)"]
    assert [m.split(":")[0] for m in result["manual"]] == ["spec.workflowSpec.podPriority"]
    assert "spec:\n  schedules:\n  - 0 1 * * *\n  timezone: UTC\n" in result["manifest"]
    again = await v4.answer("convert_manifest", {"manifest": result["manifest"]})
    assert again["changed"] is False and again["manifest"] == result["manifest"]
    assert v4.sent() == []
    # An object comes back as an object; two documents are converted one by one.
    both = await v4.answer("convert_manifest", {"manifest": text + "---\n" + text})
    assert [c.split(":")[0] for c in both["changes"]] == ["document 0", "document 1"]
    obj = await v4.answer("convert_manifest", {"manifest": cron(schedule="x")})
    assert obj["manifest"]["spec"]["schedules"] == ["x"]


async def test_a_converted_v3_cron_workflow_is_what_v4s_swagger_accepts(v4: StandIn) -> None:
    """v4's CronWorkflowSpec requires `schedules`: the stand-in refuses the v3 manifest's body, and takes the
    converted one."""
    converted = convert(cron(schedule="0 1 * * *")).manifest
    v4.fake.on("CronWorkflowService_CreateCronWorkflow", converted)
    result = await v4.answer("create_cron_workflow", {"manifest": converted})
    assert "created" in result["result"]
    assert v4.fake.last("CronWorkflowService_CreateCronWorkflow").body["cronWorkflow"]["spec"]["schedules"]


# ---- nameFilter -------------------------------------------------------------------------------------------------
ARCHIVED = {"metadata": {}, "items": [Workflow("nightly-1", phase="Succeeded").json()]}


@pytest.mark.parametrize(
    ("name_filter", "on_v4", "on_v3"),
    [
        (None, {"listOptions.fieldSelector": "metadata.name=nightly"}, {"listOptions.fieldSelector": "metadata.name=nightly"}),
        ("Exact", {"listOptions.fieldSelector": "metadata.name=nightly"}, {"listOptions.fieldSelector": "metadata.name=nightly"}),
        ("Prefix", {"listOptions.fieldSelector": "metadata.name=nightly", "nameFilter": "Prefix"}, {"namePrefix": "nightly"}),
        ("Contains", {"listOptions.fieldSelector": "metadata.name=nightly", "nameFilter": "Contains"}, None),
        ("NotEquals", {"listOptions.fieldSelector": "metadata.name=nightly", "nameFilter": "NotEquals"}, None),
    ],
)  # fmt: skip
async def test_name_filter_where_the_server_has_it(
    each: StandIn, name_filter: str | None, on_v4: dict[str, str], on_v3: dict[str, str] | None
) -> None:
    is_v4 = _server(each) == V4
    each.says_version(V4 if is_v4 else V3)
    each.fake.on("ArchivedWorkflowService_ListArchivedWorkflows", ARCHIVED)
    args: dict[str, Any] = {"namespace": "argo", "name": "nightly"}
    if name_filter is not None:
        args["nameFilter"] = name_filter
    expected = on_v4 if is_v4 else on_v3
    outcome = await each.call("list_archived_workflows", args)
    if expected is None:
        assert isinstance(outcome, Refusal)
        assert f"nameFilter {name_filter} needs Argo v4.0" in outcome.message and V3 in outcome.message
        assert "ArchivedWorkflowService_ListArchivedWorkflows" not in each.sent()
        return
    assert isinstance(outcome, Answer), outcome
    query = each.fake.last("ArchivedWorkflowService_ListArchivedWorkflows").query_dict
    assert {k: v for k, v in query.items() if k not in ("namespace", "listOptions.limit")} == expected
    # The version is asked only for a filter v3 lacks.
    assert ("InfoService_GetVersion" in each.sent()) is (name_filter not in (None, "Exact"))


async def test_name_filter_without_a_name_is_refused(v4: StandIn) -> None:
    outcome = await v4.call("list_archived_workflows", {"nameFilter": "Prefix"})
    assert isinstance(outcome, Refusal) and "give name too" in outcome.message
    assert v4.sent() == []


# ---- a representative set of tool calls, on each pinned swagger -------------------------------------------------
WF = Workflow("hello-abc12").json()
SAME_ON_EVERY_VERSION = [
    Case("get_argo_version", {}, "InfoService_GetVersion", "/api/v1/version", answer=VERSION),
    Case("list_workflows", {"namespace": "argo", "limit": 5}, "WorkflowService_ListWorkflows",
         "/api/v1/workflows/argo", answer={"metadata": {}, "items": [WF]}),
    Case("get_workflow", {"namespace": "argo", "name": "hello-abc12"}, "WorkflowService_GetWorkflow",
         "/api/v1/workflows/argo/hello-abc12", answer=WF),
    Case("submit_workflow", {"namespace": "argo", "resourceKind": "WorkflowTemplate", "resourceName": "hello"},
         "WorkflowService_SubmitWorkflow", "/api/v1/workflows/argo/submit", answer=WF),
    Case("lint_workflow", {"workflow": {"metadata": {"generateName": "x-"}, "spec": workflow_spec()}},
         "WorkflowService_LintWorkflow", "/api/v1/workflows/argo/lint", answer=WF),
    Case("create_cron_workflow", {"manifest": cron(schedules=["0 * * * *"])},
         "CronWorkflowService_CreateCronWorkflow", "/api/v1/cron-workflows/argo",
         answer=cron(schedules=["0 * * * *"])),
    Case("create_workflow_template", {"manifest": template(synchronization={"mutexes": [{"name": "db"}]})},
         "WorkflowTemplateService_CreateWorkflowTemplate", "/api/v1/workflow-templates/argo", answer=template()),
    Case("list_archived_workflows", {"namespace": "argo", "namePrefix": "nightly"},
         "ArchivedWorkflowService_ListArchivedWorkflows", "/api/v1/archived-workflows", answer=ARCHIVED),
]  # fmt: skip


@pytest.mark.parametrize("case", SAME_ON_EVERY_VERSION, ids=[c.tool for c in SAME_ON_EVERY_VERSION])
async def test_tools_follow_each_pinned_swagger(each: StandIn, case: Case) -> None:
    program(each.fake, case)
    await each.answer(case.tool, case.args)
    assert each.fake.last(case.operation).path == case.path
    assert each.sent() == [case.operation]


def test_a_manifest_without_kind_is_read_by_its_spec() -> None:
    """Create tools fill the kind in, so the walk recognises a kindless manifest by its spec, and leaves alone
    what is no workflow (an EventSource's calendar has a `schedule` of its own, nested)."""
    kindless_cron = {"spec": {"schedule": "x", "workflowSpec": workflow_spec()}}
    assert [f.path for f in findings(kindless_cron)] == ["spec.schedule"]
    assert [f.path for f in findings({"spec": workflow_spec(**MUTEX)})] == ["spec.synchronization.mutex"]
    assert findings({"spec": {"calendar": {"daily": {"schedule": "x"}}}}) == []


async def test_the_user_is_not_asked_to_confirm_a_call_that_would_be_refused(v4: StandIn) -> None:
    asked: list[str] = []

    async def confirm(tool: Any, _args: Any, _namespace: str) -> None:
        asked.append(tool.name)

    v4.says_version(V4)
    settings = v4.pipeline.settings.model_copy(update={"confirm_destructive": True})
    pipeline = CallPipeline(settings, v4.pipeline.argo)
    manifest = {**template(**MUTEX), "metadata": {"name": "tpl", "namespace": "argo", "resourceVersion": "7"}}
    outcome = await pipeline.run(Call(BY_NAME["update_workflow_template"], {"manifest": manifest}), confirm)
    assert isinstance(outcome, Refusal) and "spec.synchronization.mutex" in outcome.message
    assert asked == [] and v4.sent() == ["InfoService_GetVersion"]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_template_examples_follow_each_pinned_swagger(version: str) -> None:
    import jsonschema
    import yaml

    from argo_mcp.resources import DATA
    from tests.support.argo_spec import load_swagger

    spec = load_swagger(version)
    schema = {
        "$ref": "#/definitions/io.argoproj.workflow.v1alpha1.Workflow",
        "definitions": spec["definitions"],
    }
    examples = list(yaml.safe_load_all((DATA / "template-examples.yaml").read_text()))
    assert len(examples) == 7
    for example in examples:
        jsonschema.Draft4Validator(schema).validate(example)
        assert not findings(example)
