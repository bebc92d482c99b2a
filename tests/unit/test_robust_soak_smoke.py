"""A small run of `./dev soak` (bench/soak.py) in the unit suite, so the soak itself keeps working: a few
sessions, steady and with failing Argo answers, every goal met (the full 50 x 200 run is `./dev soak`)."""

from __future__ import annotations

from bench.soak import run


async def test_a_small_soak_meets_every_goal() -> None:
    soak = await run(sessions=4, calls=20, fail_rate=0.2)
    steady, flaky = soak.phases
    assert steady.errors == 0 and steady.ok == 80 and steady.tool_errors == 0, steady
    assert flaky.errors == 0 and flaky.ok + flaky.tool_errors == 80, flaky
    assert flaky.argo_failures_sent > 0  # the faults were really injected
    assert soak.secrets_in_logs == 0 and soak.internal_errors_in_logs == 0 and soak.log_lines > 100
    assert all(phase.secrets_in_answers == 0 for phase in soak.phases)
