"""One argo-mcp, two real Argo servers (issue 28): the stack's own, and a second `argo server` that manages a
namespace of its own; each target with its own token, namespaces and mode. A workflow submitted to each runs on
the real node and is seen only through its own target; a caller granted `use` on one target (Kubernetes RBAC,
a SubjectAccessReview on argo-mcp.io/targets) is refused the other exactly as an unknown target is."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from tests.e2e.mcp_support import container
from tests.e2e.stack import procs
from tests.e2e.stack import versions as V
from tests.e2e.stack.fixture import E2EStack
from tests.support.processes import ServerProcess, http_client, payload, start_argo_mcp, text_of

WF = "argoproj.io/v1alpha1"
RBAC = "rbac.authorization.k8s.io/v1"


@dataclass
class SecondArgo:
    namespace: str
    url: str
    runner: str


def _namespace_objects(ns: str, runner: str) -> list[dict[str, Any]]:
    """The second Argo's namespace: the executor's Role for workflow pods, and the ServiceAccount argo-mcp acts
    as there (every Argo verb in this namespace only)."""
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": runner, "namespace": ns}},
        # `argo server --namespace` reads its configuration from there (and exits without it)
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "workflow-controller-configmap", "namespace": ns},
        },
        {
            "apiVersion": RBAC,
            "kind": "Role",
            "metadata": {"name": "argo-all", "namespace": ns},
            "rules": [
                {"apiGroups": ["argoproj.io"], "resources": ["*"], "verbs": ["*"]},
                {
                    "apiGroups": [""],
                    "resources": ["pods", "pods/log", "events"],
                    "verbs": ["get", "list", "watch"],
                },
            ],
        },
        {
            "apiVersion": RBAC,
            "kind": "Role",
            "metadata": {"name": "executor", "namespace": ns},
            "rules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtaskresults"],
                    "verbs": ["create", "patch"],
                }
            ],
        },
        {
            "apiVersion": RBAC,
            "kind": "RoleBinding",
            "metadata": {"name": "executor-default", "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "executor"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": ns}],
        },
        {
            "apiVersion": RBAC,
            "kind": "RoleBinding",
            "metadata": {"name": "argo-all", "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "argo-all"},
            "subjects": [{"kind": "ServiceAccount", "name": runner, "namespace": ns}],
        },
    ]


def _grant_targets(stack: E2EStack, service_account: str, targets: list[str], namespace: str) -> None:
    """What operators do to let a caller use targets: a ClusterRole with verb `use` on the named targets."""
    name = f"{service_account}-targets"
    stack.apply(
        [
            {
                "apiVersion": RBAC,
                "kind": "ClusterRole",
                "metadata": {"name": name},
                "rules": [
                    {
                        "apiGroups": ["argo-mcp.io"],
                        "resources": ["targets"],
                        "resourceNames": targets,
                        "verbs": ["use"],
                    }
                ],
            },
            {
                "apiVersion": RBAC,
                "kind": "ClusterRoleBinding",
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                "subjects": [
                    {"kind": "ServiceAccount", "name": service_account, "namespace": stack.namespace}
                ],
            },
        ]
    )
    # The per-tool review in the second namespace: the same caller may run workflows there.
    stack.apply(
        {
            "apiVersion": RBAC,
            "kind": "RoleBinding",
            "metadata": {"name": f"{service_account}-argo-all", "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "argo-all"},
            "subjects": [{"kind": "ServiceAccount", "name": service_account, "namespace": stack.namespace}],
        }
    )


@pytest.fixture(scope="module")
def second_argo(stack: E2EStack) -> Iterator[SecondArgo]:
    if stack.provider != "local" or stack.run_dir is None:
        pytest.skip(
            f"NOT RUN on the {stack.provider} provider: the second Argo server is the local stack's `argo` binary "
            "started beside the first; the kind provider would need a second in-cluster argo-server"
        )
    ns = stack.unique("second")
    runner = "argo-mcp-runner"
    stack.apply(_namespace_objects(ns, runner))
    port = procs.free_port(set())
    log = stack.run_dir / "logs" / f"argo-server-{ns}.log"
    kubeconfig = str(stack.run_dir / "server.kubeconfig")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(V.bin_dir() / "argo"),
                "server",
                "--kubeconfig",
                kubeconfig,
                "--namespaced",
                "--managed-namespace",
                ns,
                "--namespace",
                ns,
                "--port",
                str(port),
                "--secure=false",
                "--auth-mode=client",
                "--loglevel",
                "info",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "KUBECONFIG": kubeconfig},
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        # client auth only: every request, this one too, carries a token (the runner's)
        token = stack.mint_token(runner, namespace=ns, seconds=600)
        procs.wait_until(
            "second argo server /api/v1/version",
            lambda: procs.http_status(f"{url}/api/v1/version", token=token) == 200,
            120,
        )
        yield SecondArgo(ns, url, runner)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # only the process this fixture started
        try:
            proc.wait(3)  # a test's throwaway server: its graceful shutdown (up to 15 s) protects nothing
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        stack.kubectl("delete", "namespace", ns, "--wait=false", check=False)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def two_targets(
    stack: E2EStack, second_argo: SecondArgo, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("mcp-targets")
    (tmp / "main-token").write_text(stack.mint_token(stack.full_sa, seconds=3600))
    (tmp / "second-token").write_text(
        stack.mint_token(second_argo.runner, namespace=second_argo.namespace, seconds=3600)
    )
    targets = tmp / "targets.yaml"
    targets.write_text(
        f"""defaultTarget: main
targets:
  - name: main
    argoServer: {{url: "{stack.argo_url}", insecureSkipTLSVerify: true}}
    auth: {{mode: bearer-file, tokenFile: "{tmp / "main-token"}"}}
    namespaces: [{stack.namespace}]
    mode: operate
  - name: second
    argoServer: {{url: "{second_argo.url}"}}
    auth: {{mode: bearer-file, tokenFile: "{tmp / "second-token"}"}}
    namespaces: [{second_argo.namespace}]
    mode: full
"""
    )
    _grant_targets(stack, stack.full_sa, ["main", "second"], second_argo.namespace)
    _grant_targets(stack, stack.readonly_sa, ["main"], second_argo.namespace)
    server = await start_argo_mcp(
        tmp,
        "--targets-file", str(targets),
        "--auth-inbound", "kubernetes",
        "--inbound-audience", "argo-mcp",
        "--kubeconfig", stack.kubeconfig,
    )  # fmt: skip
    yield server
    await server.stop()


def _template(stack: E2EStack, namespace: str, name: str, message: str) -> None:
    stack.create_workflow_template(
        {
            "apiVersion": WF,
            "kind": "WorkflowTemplate",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "entrypoint": "main",
                "templates": [{"name": "main", "container": container(f"echo {message}")}],
            },
        }
    )


async def test_a_workflow_on_each_target_runs_and_is_seen_only_through_its_own(
    stack: E2EStack, second_argo: SecondArgo, two_targets: ServerProcess
) -> None:
    template = stack.unique("targets")
    _template(stack, stack.namespace, template, "on-main")
    _template(stack, second_argo.namespace, template, "on-second")
    caller = stack.mint_token(stack.full_sa, audience="argo-mcp")
    async with http_client(two_targets.url, headers={"Authorization": f"Bearer {caller}"}) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert tools["submit_workflow"].input_schema["properties"]["target"]["x-mcp-header"] == "Target"
        listed = payload(await client.call_tool("list_targets", {}))
        assert [(t["name"], t["mode"]) for t in listed["targets"]] == [
            ("main", "operate"),
            ("second", "full"),
        ]
        assert all(t["argoVersion"].startswith("v") for t in listed["targets"]), listed

        runs = {}
        for target, namespace in (("main", stack.namespace), ("second", second_argo.namespace)):
            submitted = await client.call_tool(
                "submit_workflow",
                {"resourceName": template, "namespace": namespace, "target": target, "wait": True},
            )
            assert not submitted.is_error, text_of(submitted)
            runs[target] = payload(submitted)
        for target, run in runs.items():
            assert "Succeeded" in str(run), (target, run)

        second_name = str(runs["second"].get("name") or runs["second"]["workflow"]["name"])
        main_name = str(runs["main"].get("name") or runs["main"]["workflow"]["name"])
        # Each run through its own target; the other target does not reach it (its namespaces, its Argo).
        # (A namespaced v4 argo server answered its ListWorkflows with no items for a run it had just served
        # by name, so the lists below are the main server's; the second is read by name.)
        on_second = await client.call_tool(
            "get_workflow", {"name": second_name, "namespace": second_argo.namespace, "target": "second"}
        )
        assert not on_second.is_error and "Succeeded" in text_of(on_second), text_of(on_second)
        elsewhere = await client.call_tool(
            "get_workflow", {"name": second_name, "namespace": second_argo.namespace}
        )  # the default target, main
        assert elsewhere.is_error and second_argo.namespace in text_of(elsewhere)
        on_main = payload(
            await client.call_tool("list_workflows", {"namespace": stack.namespace, "limit": 500})
        )
        assert main_name in str(on_main) and second_name not in str(on_main)
        missing = await client.call_tool(
            "get_workflow", {"name": main_name, "namespace": second_argo.namespace, "target": "second"}
        )
        assert missing.is_error, text_of(missing)
        deleting = await client.call_tool(
            "delete_workflow", {"name": main_name, "namespace": stack.namespace, "target": "main"}
        )
        assert deleting.is_error and "disabled on target 'main'" in text_of(deleting)
    assert stack.get_workflow(second_name, second_argo.namespace) is not None
    assert stack.get_workflow(main_name) is not None


async def test_a_caller_granted_one_target_is_refused_the_other_like_an_unknown_one(
    stack: E2EStack, two_targets: ServerProcess
) -> None:
    reader = stack.mint_token(stack.readonly_sa, audience="argo-mcp")
    async with http_client(two_targets.url, headers={"Authorization": f"Bearer {reader}"}) as client:
        mine = payload(await client.call_tool("list_targets", {}))
        allowed = await client.call_tool("list_workflows", {"limit": 1, "target": "main"})
        refused = await client.call_tool("list_workflows", {"limit": 1, "target": "second"})
        unknown = await client.call_tool("list_workflows", {"limit": 1, "target": "nowhere"})
    assert [t["name"] for t in mine["targets"]] == ["main"]
    assert not allowed.is_error, text_of(allowed)
    assert refused.is_error and unknown.is_error
    assert text_of(refused).replace("'second'", "X") == text_of(unknown).replace("'nowhere'", "X")
    audit = [r for r in two_targets.logs() if r.get("event") == "tool_call" and r.get("target") == "main"]
    assert audit, "every call's log line names its target"
