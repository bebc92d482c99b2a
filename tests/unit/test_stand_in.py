"""The unit Argo stand-in itself (issue 11, defect 15): it answers only what a test programmed, and programmed
answers, errors included, must follow Argo's swagger.json."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from tests.support.fake_argo import FakeArgo
from tests.support.processes import free_port


async def test_an_unprogrammed_operation_is_a_violation_not_an_empty_answer() -> None:
    fake = FakeArgo()
    runner = web.AppRunner(fake.app, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/api/v1/info") as answer,
        ):
            assert answer.status == 501
            assert "did not program" in (await answer.json())["message"]
    finally:
        await runner.cleanup()
    assert fake.violations == [
        "InfoService_GetInfo: argo-mcp called it, but this test did not program an answer for it"
    ]


def test_programmed_error_answers_are_checked_against_the_spec() -> None:
    fake = FakeArgo()
    fake.error("WorkflowService_GetWorkflow", 404, "not found", 5)  # a gateway error body: accepted
    with pytest.raises(AssertionError, match="canned 404 answer of WorkflowService_GetWorkflow"):
        fake.on("WorkflowService_GetWorkflow", {"code": "five", "message": 404}, status=404)
