"""A task's output, fetched through the master with offerctl logs."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from offer.tasks import TaskState
from tests.support.cluster import Cluster, wait_for
from tests.support.framework import framework, task


async def test_logs_of_running_and_finished_tasks(running_cluster: Cluster) -> None:
    cluster = running_cluster
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(
            driver,
            task("talker", "for i in 1 2 3; do echo line$i; done; sleep 300"),
            task("done", "echo first; echo done-output >&2; exit 0"),
        )
        await rec.until_state("talker", TaskState.RUNNING)
        await rec.until_state("done", TaskState.FINISHED)

        running = await asyncio.to_thread(
            wait_for,
            lambda: "line3" in (out := cluster.offerctl("logs", "talker")).stdout and out,
            10,
            "talker's output",
        )
        assert running.stdout.split() == ["line1", "line2", "line3"]
        tail = cluster.offerctl("logs", "talker", "--tail", "1")
        assert tail.stdout.split() == ["line3"]

        # The container is gone; its output was kept in the agent's sandbox.
        assert cluster.containers() and all(
            c["Labels"]["offer.task_id"] != "done" for c in cluster.containers()
        )
        finished = cluster.offerctl("logs", "done")
        assert finished.returncode == 0, finished.stderr
        # stdout and stderr are separate pipes: their relative order is not kept.
        assert sorted(finished.stdout.split()) == ["done-output", "first"]


async def test_logs_follow_until_the_task_ends(running_cluster: Cluster) -> None:
    cluster = running_cluster
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("ticker", "echo a; sleep 1; echo b; sleep 1; echo c"))
        await rec.until_state("ticker", TaskState.RUNNING)
        follow = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "offer.ctl.cli",
                "--master",
                cluster.address,
                "logs",
                "ticker",
                "--follow",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        await rec.until_state("ticker", TaskState.FINISHED)
    assert follow.returncode == 0, follow.stderr
    assert follow.stdout.split() == ["a", "b", "c"]


def test_logs_of_an_unknown_task_is_one_clear_line(running_cluster: Cluster) -> None:
    done = running_cluster.offerctl("logs", "nope")
    assert done.returncode == 1
    assert done.stderr.strip() == "offerctl: no task 'nope' is known (not found)"
