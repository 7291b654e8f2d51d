"""A task's stop signal is what a kill sends first: real master, agent and
Docker engine. The container's shell traps SIGINT only (busybox sh as PID 1
ignores SIGTERM), so it ends at once, exit 0, only if SIGINT reached it;
otherwise only the SIGKILL at the end of a long grace would end it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from offer.tasks import TaskState
from tests.support.cluster import Cluster, wait_for
from tests.support.framework import framework, task

TRAPS_INT = "trap 'echo got INT; exit 0' INT; echo up; while :; do sleep 0.1; done"
# Far longer than the kill may take: ended by SIGKILL, the test would fail.
GRACE = 30.0


async def test_a_kill_sends_the_tasks_stop_signal_first(running_cluster: Cluster) -> None:
    cluster = running_cluster
    async with framework(cluster.address) as (driver, rec):
        spec = replace(task("int", TRAPS_INT), kill_grace_seconds=GRACE, stop_signal="SIGINT")
        await rec.launch(driver, spec)
        await rec.until_state("int", TaskState.RUNNING)
        # The trap is set once "up" is printed.
        await asyncio.to_thread(_output_with, cluster, "int", "up")
        await driver.kill("int")
        killing = await rec.until_state("int", TaskState.KILLING)
        assert f"SIGINT sent, SIGKILL in {GRACE:g}s" in killing.message
        updates = await rec.until_terminal("int", timeout=10)
    end = updates[-1]
    assert (end.state, end.exit_code) == (TaskState.KILLED, 0), end.message
    assert "got INT" in await asyncio.to_thread(_output_with, cluster, "int", "got INT")


def _output_with(cluster: Cluster, task_id: str, text: str) -> str:
    def found() -> str | None:
        out = cluster.offerctl("logs", task_id).stdout
        return out if text in out else None

    return wait_for(found, 10, f"{text!r} in the output of {task_id}")  # type: ignore[no-any-return]
