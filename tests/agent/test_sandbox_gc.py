"""The agent's sandbox garbage collection: the pure decision, the collector
on a real folder, and a real agent deleting an ended task's sandbox after
--sandbox-gc-delay while a live task's is kept, across a restart, with
`offerctl logs` saying where the output went."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from agent.metrics import AgentMetrics
from agent.sandbox_gc import (
    JOURNAL_KEEP,
    Collect,
    Disk,
    GcPolicy,
    Sandbox,
    SandboxGc,
    choose,
    format_duration,
    next_due,
    parse_duration,
)
from offer.clock import ManualClock
from offer.tasks import TaskState
from tests.support.cluster import Cluster, http_get, wait_for
from tests.support.framework import framework, task

DAY = 86400.0
NOW = 1_800_000_000.0
ROOMY = Disk(used=10, free=90)
POLICY = GcPolicy(delay=DAY, disk_threshold=90.0)


def sandbox(task_id: str, age: float, size: int = 1, live: bool = False) -> Sandbox:
    return Sandbox("fw", task_id, NOW - age, size, live)


def ids(chosen: list[Collect]) -> list[tuple[str, str]]:
    return [(c.sandbox.task_id, c.reason) for c in chosen]


# ------------------------------------------------------------- the decision


def test_sandboxes_older_than_the_delay_go_and_younger_ones_stay() -> None:
    found = [sandbox("old", 2 * DAY), sandbox("just-due", DAY), sandbox("young", DAY - 1)]
    assert ids(choose(found, NOW, POLICY, ROOMY)) == [("old", "delay"), ("just-due", "delay")]


def test_a_live_tasks_sandbox_is_never_chosen_however_old_or_full_the_disk() -> None:
    found = [sandbox("live", 30 * DAY, size=10**9, live=True), sandbox("ended", 2 * DAY)]
    full = Disk(used=99, free=1)
    assert ids(choose(found, NOW, POLICY, full)) == [("ended", "delay")]
    assert ids(choose([sandbox("live", 30 * DAY, live=True)], NOW, POLICY, full)) == []


def test_over_the_disk_threshold_the_oldest_go_first_until_under_it() -> None:
    # 95 of 100 bytes used, threshold 90: 5 bytes must go.
    disk = Disk(used=95, free=5)
    found = [sandbox("a", 300, size=3), sandbox("b", 200, size=3), sandbox("c", 100, size=3)]
    assert ids(choose(found, NOW, POLICY, disk)) == [("a", "disk"), ("b", "disk")]


def test_what_the_delay_frees_counts_toward_the_disk() -> None:
    disk = Disk(used=95, free=5)
    found = [sandbox("due", 2 * DAY, size=5), sandbox("young", 10, size=5)]
    assert ids(choose(found, NOW, POLICY, disk)) == [("due", "delay")]


def test_under_the_threshold_nothing_young_goes_and_the_rest_is_not_read() -> None:
    def sandboxes() -> Iterator[Sandbox]:
        yield sandbox("due", 2 * DAY)
        yield sandbox("young", 10)
        raise AssertionError("read past the first sandbox that is not due")

    assert ids(choose(sandboxes(), NOW, POLICY, ROOMY)) == [("due", "delay")]


def test_the_next_due_time_is_the_oldest_ended_tasks() -> None:
    found = [sandbox("live", 5 * DAY, live=True), sandbox("a", 100), sandbox("b", 50)]
    assert next_due(found, POLICY) == NOW - 100 + DAY
    assert next_due([sandbox("live", 1, live=True)], POLICY) is None


def test_durations() -> None:
    assert parse_duration("90") == 90
    assert parse_duration("2.5") == 2.5
    assert parse_duration("30s") == 30
    assert parse_duration("30m") == 1800
    assert parse_duration("12h") == 43200
    assert parse_duration("7d") == 7 * DAY
    assert parse_duration("1w") == 7 * DAY
    assert parse_duration("1h30m") == 5400
    for bad in ("", "-1", "7 days", "1x", "h", "1h30"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert format_duration(7 * DAY) == "7d"
    assert format_duration(DAY) == "1d"
    assert format_duration(5400) == "90m"
    assert format_duration(2) == "2s"
    assert format_duration(0.5) == "0.5s"


# --------------------------------------------------- the collector, on disk


def plant(root: Path, framework_id: str, task_id: str, ended_at: float, size: int = 10) -> Path:
    folder = root / framework_id / task_id
    folder.mkdir(parents=True)
    output = folder / "output.log"
    output.write_bytes(b"x" * size)
    os.utime(output, (ended_at, ended_at))
    return folder


def collector(
    tmp_path: Path, clock: ManualClock, disk: list[Disk], live: set[str] | None = None
) -> tuple[SandboxGc, CollectorRegistry]:
    registry = CollectorRegistry()
    gc = SandboxGc(
        tmp_path / "sandboxes",
        tmp_path / "journal",
        POLICY,
        lambda _fw, task_id: task_id in (live or set()),
        clock=clock,
        disk=lambda _path: disk[0],
        metrics=AgentMetrics(registry),
    )
    return gc, registry


async def test_a_restarted_collector_schedules_what_it_finds_by_its_age(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    root = tmp_path / "sandboxes"
    plant(root, "fw1", "old", NOW - 2 * DAY)
    plant(root, "fw1", "live-old", NOW - 3 * DAY)
    young = plant(root, "fw2", "young", NOW - 60)
    gc, registry = collector(tmp_path, clock, [ROOMY], live={"live-old"})

    assert ids(await gc.collect()) == [("old", "delay")]
    assert not (root / "fw1" / "old").exists()
    assert (root / "fw1" / "live-old" / "output.log").exists()
    assert gc.count == 2
    assert (
        registry.get_sample_value("offer_agent_sandboxes_collected_total", {"reason": "delay"}) == 1
    )

    await clock.advance(DAY)
    assert ids(await gc.collect()) == [("young", "delay")]
    assert not young.exists()
    # An emptied framework folder goes with its last sandbox.
    assert not (root / "fw2").exists()
    gone = await gc.gone("fw2", "young")
    assert gone is not None and gone.reason == "delay" and gone.collected_at == clock()
    assert await gc.gone("fw1", "live-old") is None


async def test_a_task_that_ends_later_is_scheduled_from_its_end(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    root = tmp_path / "sandboxes"
    gc, _ = collector(tmp_path, clock, [ROOMY])
    assert await gc.collect() == []
    plant(root, "fw", "t1", NOW)
    gc.task_ended("fw", "t1")
    gc.task_ended("fw", "no-output")  # a launch that failed leaves no sandbox
    assert await gc.collect() == []
    assert gc.count == 1
    await clock.advance(DAY)
    assert ids(await gc.collect()) == [("t1", "delay")]
    assert gc.count == 0


async def test_an_mtime_ahead_of_the_clock_hides_no_older_sandbox(tmp_path: Path) -> None:
    # The clock was set back after a task ended: its sandbox counts as ended now.
    clock = ManualClock(NOW)
    root = tmp_path / "sandboxes"
    plant(root, "fw", "from-the-future", NOW + 30 * DAY)
    gc, _ = collector(tmp_path, clock, [ROOMY])
    assert await gc.collect() == []
    plant(root, "fw", "later", NOW)
    gc.task_ended("fw", "later")
    await gc.collect()
    await clock.advance(DAY)
    assert sorted(ids(await gc.collect())) == [("from-the-future", "delay"), ("later", "delay")]


async def test_a_full_disk_takes_the_oldest_ended_sandboxes_first(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    root = tmp_path / "sandboxes"
    for n, age in enumerate((300, 200, 100)):
        plant(root, "fw", f"t{n}", NOW - age, size=30)
    disk = [Disk(used=95, free=5)]
    gc, registry = collector(tmp_path, clock, disk)
    assert ids(await gc.collect()) == [("t0", "disk")]
    assert sorted(p.name for p in (root / "fw").iterdir()) == ["t1", "t2"]
    assert (
        registry.get_sample_value("offer_agent_sandboxes_collected_total", {"reason": "disk"}) == 1
    )
    gone = await gc.gone("fw", "t0")
    assert gone is not None and gone.reason == "disk"
    disk[0] = ROOMY
    assert await gc.collect() == []


async def test_the_journal_stays_bounded(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    journal = tmp_path / "journal"
    journal.write_text("".join(f"fw\told{n}\tdelay\t1\n" for n in range(2 * JOURNAL_KEEP)))
    plant(tmp_path / "sandboxes", "fw", "last", NOW - 2 * DAY)
    gc, _ = collector(tmp_path, clock, [ROOMY])
    await gc.collect()
    lines = journal.read_text().splitlines()
    assert len(lines) == JOURNAL_KEEP
    assert lines[-1].startswith("fw\tlast\tdelay\t")
    assert await gc.gone("fw", "last") is not None


# ------------------------------------------------------- a real agent


async def test_an_agent_deletes_ended_tasks_sandboxes_and_keeps_live_ones(
    cluster: Cluster,
) -> None:
    cluster.start_master()
    agent = cluster.start_agent("cpus:2;mem:1024", "--sandbox-gc-delay", "1s")
    sandboxes = agent.work_dir / "sandboxes"
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("long", "sleep 300"))
        await rec.until_state("long", TaskState.RUNNING)
        # A running task whose id an ended one used before has a sandbox
        # older than the delay; and a task this agent no longer knows left one.
        month_ago = time.time() - 30 * DAY
        long_sandbox = plant(sandboxes, rec.framework_id, "long", month_ago)
        stray = plant(sandboxes, rec.framework_id, "ended-before", month_ago)
        # A restarted agent finds both on disk, adopts the running task first.
        await asyncio.to_thread(cluster.restart_agent, agent)

        await rec.launch(driver, task("short", "echo short-output"))
        await rec.until_state("short", TaskState.FINISHED)
        short_sandbox = sandboxes / rec.framework_id / "short"
        await asyncio.to_thread(
            wait_for,
            lambda: not short_sandbox.exists() and not stray.exists(),
            20,
            "the ended tasks' sandboxes to be deleted",
        )
        assert (long_sandbox / "output.log").exists()
        still = rec.latest("long")
        assert still is not None and still.state == TaskState.RUNNING

        done = await asyncio.to_thread(cluster.offerctl, "logs", "short")
        assert done.returncode == 1
        assert (
            "the output of task 'short' was deleted by the agent's sandbox garbage collection "
            "(--sandbox-gc-delay 1s" in done.stderr
        ), done.stderr
        # Said as the agent's answer, not as a master that went away.
        assert "lost the connection" not in done.stderr, done.stderr

        # The port the restarted agent took (any free one: OFFER_HTTP_PORT=0).
        served = re.findall(r"HTTP \(/metrics, /health\) on (http://\S+)", agent.log())
        body = http_get(f"{served[-1]}/metrics") or ""
        assert 'offer_agent_sandboxes_collected_total{reason="delay"} 2.0' in body, body
        assert "offer_agent_sandboxes 1.0" in body
        # Exited containers are removed as before: only the live one is left.
        assert [c["Labels"]["offer.task_id"] for c in cluster.containers()] == ["long"]
