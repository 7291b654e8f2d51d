"""The master keeps a bounded history (issue 26): ended tasks beyond
--max-completed-tasks-per-framework leave memory and the store, oldest
first, while live tasks and unacknowledged updates stay, across a restart
too. A real master in-process, on a real SQLite store."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from master.errors import MasterError
from master.messages import FrameworkEvent, StatusChanged
from master.store.models import FrameworkRow, StatusUpdateRow, TaskRow
from offer.resources import Resources
from offer.tasks import TaskSpec, TaskState, TaskStatus
from tests.support.inprocess import InProcessMaster, Stream, in_process_master

KEEP = 50
_ids = itertools.count(1)


async def _run_tasks(
    m: InProcessMaster,
    framework_id: str,
    agent_id: str,
    events: Stream[FrameworkEvent],
    count: int,
    *,
    end: bool = True,
    ack: bool = True,
) -> list[str]:
    """Launches `count` tasks on one offer, reports them RUNNING and (with
    `end`) FINISHED; acknowledges every update (with `ack`). Their ids."""
    offers = await _offers(m, framework_id)
    specs = [TaskSpec(f"t{next(_ids)}", "t", Resources(0.01, 8), "busybox") for _ in range(count)]
    await m.master.framework_calls.accept(framework_id, offers, specs, 0.0)
    statuses = [TaskStatus(s.task_id, framework_id, agent_id, TaskState.RUNNING) for s in specs]
    if end:
        statuses += [
            TaskStatus(s.task_id, framework_id, agent_id, TaskState.FINISHED) for s in specs
        ]
    await m.master.agent_calls.status_updates(agent_id, statuses)
    for status in statuses:
        await events.next(StatusChanged, lambda e, uuid=status.uuid: e.status.uuid == uuid)
    if ack:
        await m.master.framework_calls.acknowledge(framework_id, [s.uuid for s in statuses])
    return [s.task_id for s in specs]


async def _offers(m: InProcessMaster, framework_id: str) -> list[str]:
    """The framework's outstanding offers, once it has one: another
    framework may hold the agent's resources until its offer is answered."""
    for _ in range(10):
        m.cycle()
        if offers := [o.offer_id for o in m.master.offers_view(framework_id)]:
            return offers
        await m.clock.advance(m.config.offer_reclaim_age)
    raise AssertionError(f"no offer for framework {framework_id}")


def _rows(directory: Path) -> tuple[dict[str, int], set[str]]:
    """The store's task rows (task id -> state) and the task ids its status
    updates name, read with SQLAlchemy beside the master."""
    engine = create_engine(f"sqlite:///{directory / 'master.db'}")
    try:
        with engine.connect() as db:
            tasks = dict(db.execute(select(TaskRow.task_id, TaskRow.state)).all())
            updated = set(db.execute(select(StatusUpdateRow.task_id).distinct()).scalars().all())
            assert db.execute(select(func.count()).select_from(TaskRow)).scalar_one() == len(tasks)
    finally:
        engine.dispose()
    return tasks, updated


def _ended_in_memory(m: InProcessMaster) -> set[str]:
    return {t.task_id for t in m.master.state.tasks.values() if not t.is_live}


async def test_200_short_tasks_leave_the_newest_50_ended_in_memory_and_in_the_store(
    tmp_path: Path,
) -> None:
    async with in_process_master(tmp_path, max_completed_tasks_per_framework=KEEP) as m:
        agent_id, _ = await m.add_agent(Resources(100, 100_000))
        framework_id, events = await m.subscribe()
        live = await _run_tasks(m, framework_id, agent_id, events, 2, end=False)
        # The oldest ended task, its FINISHED not acknowledged: it must stay.
        unacked = (await _run_tasks(m, framework_id, agent_id, events, 1, ack=False))[0]
        fw = m.master.state.frameworks[framework_id]
        pending = {u.uuid for u in fw.unacked.values() if u.task_id == unacked}
        assert len(pending) == 2  # its RUNNING and its FINISHED
        ended: list[str] = [unacked]
        for _ in range(20):
            ended += await _run_tasks(m, framework_id, agent_id, events, 10)
        assert len(ended) == 201
        await m.master.history.settled()

        state = m.master.state
        kept = _ended_in_memory(m)
        assert len(kept) == KEEP
        # The newest, and the one passed over for its unacknowledged update.
        assert kept == {unacked, *ended[-(KEEP - 1) :]}
        assert all(state.tasks[(framework_id, t)].is_live for t in live)
        assert pending <= set(fw.unacked)
        assert +state.task_states == Counter(t.status.state for t in state.tasks.values())
        assert state.task_states[TaskState.FINISHED] == KEEP
        assert len(fw.tasks) == KEEP + 2
        assert sum(len(a.tasks) for a in state.agents.values()) == KEEP + 2

        rows, updated = _rows(tmp_path)
        assert set(rows) == kept | set(live)
        assert updated == kept | set(live)

        with pytest.raises(MasterError) as pruned:
            m.master.find_task(ended[1])
        assert str(pruned.value) == (
            f"task {ended[1]!r} ended and is no longer kept (the master keeps the last "
            f"{KEEP} ended tasks per framework: --max-completed-tasks-per-framework {KEEP})"
        )
        assert m.master.find_task(ended[-1]).task_id == ended[-1]
        with pytest.raises(MasterError, match="no task 'never' is known"):
            m.master.find_task("never")

        # A pruned id is not used again while the master remembers it.
        m.cycle()
        offers = [o.offer_id for o in m.master.offers_view(framework_id)]
        reuse = TaskSpec(ended[1], "t", Resources(0.01, 8), "busybox")
        with pytest.raises(MasterError, match="already used"):
            await m.master.framework_calls.accept(framework_id, offers, [reuse], None)

    # A restart on the same store: the same tasks, live ones and the
    # unacknowledged update included; nothing pruned comes back.
    async with in_process_master(tmp_path, max_completed_tasks_per_framework=KEEP) as m:
        await m.master.history.settled()
        assert _ended_in_memory(m) == kept
        assert {t.task_id for t in m.master.state.tasks.values() if t.is_live} == set(live)
        assert pending <= set(m.master.state.frameworks[framework_id].unacked)
        assert set(_rows(tmp_path)[0]) == kept | set(live)

    # Restarted with a lower limit: recovery prunes down to it, in memory
    # and in the store, still passing over the unacknowledged update.
    async with in_process_master(tmp_path, max_completed_tasks_per_framework=10) as m:
        await m.master.history.settled()
        assert _ended_in_memory(m) == {unacked, *ended[-9:]}
        rows, updated = _rows(tmp_path)
        assert set(rows) == {unacked, *ended[-9:], *live}
        assert updated == set(rows)
        state = m.master.state
        assert +state.task_states == Counter(t.status.state for t in state.tasks.values())


async def test_an_acknowledgement_lets_a_passed_over_task_be_pruned(tmp_path: Path) -> None:
    async with in_process_master(tmp_path, max_completed_tasks_per_framework=3) as m:
        agent_id, _ = await m.add_agent(Resources(10, 10_000))
        framework_id, events = await m.subscribe()
        first = (await _run_tasks(m, framework_id, agent_id, events, 1, ack=False))[0]
        later = await _run_tasks(m, framework_id, agent_id, events, 5)
        await m.master.history.settled()
        assert _ended_in_memory(m) == {first, *later[-2:]}

        fw = m.master.state.frameworks[framework_id]
        await m.master.framework_calls.acknowledge(framework_id, list(fw.unacked))
        await m.master.history.settled()
        # It counts among the kept: at the limit, nothing more goes...
        assert _ended_in_memory(m) == {first, *later[-2:]}
        # ... until the next task ends, and then the oldest goes first.
        newest = await _run_tasks(m, framework_id, agent_id, events, 1)
        await m.master.history.settled()
        assert _ended_in_memory(m) == {*later[-2:], *newest}
        assert set(_rows(tmp_path)[0]) == {*later[-2:], *newest}


def _framework_rows(directory: Path) -> tuple[set[str], set[str], set[str]]:
    """Framework ids named by the store's frameworks, tasks and status updates."""
    engine = create_engine(f"sqlite:///{directory / 'master.db'}")
    try:
        with engine.connect() as db:
            return tuple(  # type: ignore[return-value]
                set(db.execute(select(model.framework_id).distinct()).scalars().all())
                for model in (FrameworkRow, TaskRow, StatusUpdateRow)
            )
    finally:
        engine.dispose()


async def test_removed_frameworks_beyond_the_limit_go_with_their_tasks_once_none_is_live(
    tmp_path: Path,
) -> None:
    async with in_process_master(tmp_path, max_completed_frameworks=2) as m:
        agent_id, _ = await m.add_agent(Resources(10, 10_000))
        removed: list[str] = []
        for n in range(4):
            framework_id, events = await m.subscribe(f"fw{n}")
            await _run_tasks(m, framework_id, agent_id, events, 2)
            if n == 0:  # its task is still live when it is torn down
                [live] = await _run_tasks(m, framework_id, agent_id, events, 1, end=False)
            await m.master.framework_calls.teardown(framework_id)
            removed.append(framework_id)
        staying, events = await m.subscribe("staying")
        await _run_tasks(m, staying, agent_id, events, 1)
        await m.master.history.settled()
        state = m.master.state
        # The oldest removed one, its killed task still live, is passed over
        # and counts among the two kept.
        assert set(state.frameworks) == {removed[0], removed[3], staying}

        killed = TaskStatus(live, removed[0], agent_id, TaskState.KILLED)
        await m.master.agent_calls.status_updates(agent_id, [killed])
        last, events = await m.subscribe("last")
        await _run_tasks(m, last, agent_id, events, 1)
        await m.master.framework_calls.teardown(last)
        removed.append(last)
        await m.master.history.settled()
        kept = {removed[3], last, staying}
        assert set(state.frameworks) == kept
        assert {t.framework_id for t in state.tasks.values()} == kept
        assert +state.task_states == Counter(t.status.state for t in state.tasks.values())
        assert all(rows == kept for rows in _framework_rows(tmp_path))

    async with in_process_master(tmp_path, max_completed_frameworks=1) as m:
        await m.master.history.settled()
        kept = {last, staying}
        assert set(m.master.state.frameworks) == kept
        assert all(rows == kept for rows in _framework_rows(tmp_path))
