"""The state store against a real database: a SQLite file and a PostgreSQL
database (the db_url fixture)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import create_engine, text

from master.cluster import HISTORY_LIMIT, Agent, Framework, Task
from master.store import StateStore
from offer import wire
from offer.resources import Resources
from offer.tasks import StatusReason, TaskSpec, TaskState, TaskStatus


def _query(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Runs `sql` (named :params) in a transaction of its own, on either database."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def _task(n: int, state: TaskState) -> Task:
    spec = TaskSpec(
        f"t{n}", f"t{n}", Resources(0.5, 64), "img", ("sh", "-c", "exit 0"), (("A", "1"),), 2.0
    )
    status = TaskStatus(
        f"t{n}",
        "fw-1",
        "agent-1",
        state,
        StatusReason.COMMAND_EXITED,
        "msg",
        exit_code=0 if state == TaskState.FINISHED else None,
    )
    return Task("fw-1", "agent-1", spec, 100.0 + n, status)


async def test_writes_survive_a_reopen_and_come_back_as_domain_objects(db_url: str) -> None:
    url = db_url
    store = StateStore(url)
    await store.start()
    agent = Agent("agent-1", "host", Resources(4, 4096, 100), 1.0, address="10.0.0.5")
    fw = Framework("fw-1", "svc", "prod", "alice", 60.0, 2.0)
    tasks = [_task(1, TaskState.RUNNING), _task(2, TaskState.FINISHED)]
    await store.write(
        agents=[agent], frameworks=[fw], tasks=tasks, updates=[t.status for t in tasks]
    )
    await store.write(acks=[tasks[0].status.uuid])
    await store.close()

    reopened = StateStore(url)
    snap = reopened.load()
    assert [a.agent_id for a in snap.agents] == ["agent-1"]
    assert snap.agents[0].total == Resources(4, 4096, 100)
    assert snap.agents[0].address == "10.0.0.5"
    assert (snap.frameworks[0].role, snap.frameworks[0].failover_timeout) == ("prod", 60.0)
    assert [(t.spec, t.status) for t in snap.tasks] == [(t.spec, t.status) for t in tasks]
    assert snap.unacked == {"fw-1": [tasks[1].status]}
    await reopened.start()
    await reopened.close()


async def test_concurrent_writes_are_grouped_into_few_commits(db_url: str) -> None:
    url = db_url
    store = StateStore(url)
    await store.start()
    statuses = [TaskStatus(f"t{i}", "fw-1", "a", TaskState.RUNNING) for i in range(200)]
    await asyncio.gather(*(store.write(updates=[s]) for s in statuses))
    # All 200 were queued before the writer woke: one transaction holds them.
    assert store.commits == 1
    await store.close()
    assert _query(url, "SELECT count(*) FROM status_updates") == [(200,)]
    if url.startswith("sqlite"):
        assert _query(url, "PRAGMA journal_mode") == [("wal",)]


def test_migrations_build_exactly_the_models(db_url: str) -> None:
    """A model changed without a migration (python -m master.store.migrate
    revision "...") fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from master.store import migrate
    from master.store.models import Base

    engine = create_engine(db_url)
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # idempotent on an up-to-date database
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_upgrading_an_old_database_keeps_its_tasks(db_url: str) -> None:
    """A database at the first schema, with a task in it, upgrades to head
    and the task reads back whole."""
    from alembic import command

    from master.store import migrate
    from offer import sqlmigrate

    url = db_url
    engine = create_engine(url)
    config = sqlmigrate.config(migrate.MIGRATIONS)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "e3a824bc9ead")  # the initial schema
        conn.exec_driver_sql(
            "INSERT INTO tasks VALUES ('fw-1', 't1', 'agent-1', 't1', 0.5, 64, 0, "
            '\'{"image": "img", "command": ["sh"], "env": {"A": "1"}, '
            "\"kill_grace_seconds\": 2.0}', 10.0, 3, 'u1')"
        )
    engine.dispose()

    snap = StateStore(url).load()
    [task] = snap.tasks
    assert task.spec == TaskSpec("t1", "t1", Resources(0.5, 64), "img", ("sh",), (("A", "1"),), 2.0)
    assert task.status.state == TaskState.RUNNING


def test_agents_stored_before_addresses_upgrade_with_none(db_url: str) -> None:
    """An agent row written at the schema before addresses (0007) reads back
    with an empty address, which its next registration fills in."""
    from alembic import command

    from master.store import migrate
    from offer import sqlmigrate

    url = db_url
    engine = create_engine(url)
    config = sqlmigrate.config(migrate.MIGRATIONS)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0c3f7a2d91b4")  # 0007_agent_principal
        conn.exec_driver_sql(
            "INSERT INTO agents (agent_id, hostname, cpus, mem, disk, registered_at, lost, "
            "principal) VALUES ('agent-1', 'host1', 2, 1024, 0, 1.0, false, 'ops')"
        )
    engine.dispose()

    [agent] = StateStore(url).load().agents
    assert (agent.agent_id, agent.hostname, agent.principal) == ("agent-1", "host1", "ops")
    assert agent.address == ""


async def test_task_history_is_kept_with_health_and_bounded(db_url: str) -> None:
    url = db_url
    store = StateStore(url)
    await store.start()
    task = _task(1, TaskState.STAGING)
    await store.write(tasks=[task], updates=[task.status], acks=[task.status.uuid])
    changes = [
        TaskStatus("t1", "fw-1", "agent-1", TaskState.RUNNING, healthy=n % 2 == 1)
        for n in range(HISTORY_LIMIT + 5)
    ]
    for status in changes:
        task.record(status)
        # Acknowledged first, as a framework would have: only those are forgotten.
        await store.write(acks=[status.uuid], updates=[status])
        await store.write(tasks=[task])
    await store.close()

    snap = StateStore(url).load()
    [loaded] = snap.tasks
    assert list(loaded.history) == changes[-HISTORY_LIMIT:]
    assert loaded.status == changes[-1] and loaded.status.healthy is False
    [(rows,)] = _query(url, "SELECT count(*) FROM status_updates")
    assert rows == HISTORY_LIMIT


def test_a_spec_reads_back_through_either_json_path() -> None:
    """spec_from_json's fast path (json + the message constructor) and the
    full protobuf JSON parser read what spec_to_json writes alike."""
    from google.protobuf import json_format

    from offer import wire
    from offer.resources import Resources
    from offer.tasks import HealthCheck, PortMapping, TaskSpec, Volume
    from offer.v1 import common_pb2

    spec = TaskSpec(
        "t-1",
        "web",
        Resources(0.5, 64, 0, ((31000, 31001),)),
        "img:1",
        ("sh", "-c", "echo hi"),
        env=(("A", "b"),),
        kill_grace_seconds=0.2,
        labels=(("app", "web"),),
        volumes=(Volume("/h", "/c", read_only=True),),
        port_mappings=(PortMapping(80, 31000),),
        health_check=HealthCheck("http", port=80, path="/ok"),
        user="65534",
        network="none",
    )
    text = wire.spec_to_json(spec)
    assert wire.spec_from_json(text) == spec
    assert wire.task_from_pb(json_format.Parse(text, common_pb2.TaskInfo())) == spec


async def test_a_recovered_task_is_the_task_that_was_written(db_url: str) -> None:
    """Its spec (kept as the stored JSON until asked for), resources (port
    ranges included), history, seen updates and unacknowledged updates."""
    from offer.tasks import HealthCheck, PortMapping

    url = db_url
    store = StateStore(url)
    await store.start()
    plain = _task(1, TaskState.STAGING)
    spec = TaskSpec(
        "t2",
        "web",
        Resources(0.5, 64, 0, ((31000, 31000),)),
        "img",
        port_mappings=(PortMapping(80, 31000),),
        health_check=HealthCheck("http", port=80),
    )
    staging = TaskStatus("t2", "fw-1", "agent-1", TaskState.STAGING)
    ported = Task("fw-1", "agent-1", spec, 200.0, staging)
    running = TaskStatus("t2", "fw-1", "agent-1", TaskState.RUNNING, healthy=True)
    ported.record(running)
    await store.write(tasks=[plain, ported], updates=[plain.status, staging, running])
    await store.write(acks=[plain.status.uuid, staging.uuid])
    await store.close()

    snap = StateStore(url).load()
    by_id = {t.task_id: t for t in snap.tasks}
    assert [t.task_id for t in snap.tasks] == ["t1", "t2"]  # in creation order
    for written in (plain, ported):
        loaded = by_id[written.task_id]
        assert loaded.key == written.key and loaded.created_at == written.created_at
        assert loaded.spec_json == written.spec_json
        assert loaded.spec == written.spec
        assert loaded.resources == written.spec.resources
        assert list(loaded.history) == list(written.history)
        assert loaded.status is loaded.history[-1]
        assert loaded.seen_updates == {s.uuid for s in written.history}
    assert snap.unacked == {"fw-1": [running]}


async def test_a_status_change_writes_the_task_row_but_not_its_spec_again(db_url: str) -> None:
    url = db_url
    store = StateStore(url)
    await store.start()
    task = _task(1, TaskState.STAGING)
    await store.write(tasks=[task], updates=[task.status])
    # Stands in for the spec as first written: the upsert must leave it.
    stored = wire.spec_to_json(replace(task.spec, name="as first written"))
    _query(url, "UPDATE tasks SET spec = :spec", spec=stored)
    task.record(TaskStatus("t1", "fw-1", "agent-1", TaskState.RUNNING))
    await store.write(tasks=[task], updates=[task.status])
    await store.close()

    assert _query(url, "SELECT spec, state FROM tasks") == [(stored, int(TaskState.RUNNING))]
    [loaded] = StateStore(url).load().tasks
    assert loaded.status == task.status and loaded.spec.name == "as first written"


def test_a_tasks_spec_json_is_made_once() -> None:
    task = _task(1, TaskState.RUNNING)
    assert task.spec_json is task.spec_json
    assert wire.spec_from_json(task.spec_json) == task.spec


async def test_a_recovered_task_recognises_old_updates_and_takes_new_ones(db_url: str) -> None:
    from master.state import ClusterState

    url = db_url
    store = StateStore(url)
    await store.start()
    task = _task(1, TaskState.STAGING)
    running = TaskStatus("t1", "fw-1", "agent-1", TaskState.RUNNING)
    task.record(running)
    agent = Agent("agent-1", "host", Resources(4, 4096), 1.0)
    fw = Framework("fw-1", "svc", "*", "alice", 60.0, 2.0)
    await store.write(agents=[agent], frameworks=[fw], tasks=[task], updates=list(task.history))
    await store.close()

    snap = StateStore(url).load()
    state = ClusterState()
    state.agents = {a.agent_id: a for a in snap.agents}
    state.frameworks = {f.framework_id: f for f in snap.frameworks}
    state.add_tasks(snap.tasks)
    [loaded] = snap.tasks
    assert state.agents["agent-1"].allocated == state.frameworks["fw-1"].allocated
    assert state.frameworks["fw-1"].allocated == task.spec.resources
    assert {task.history[0].uuid, running.uuid} <= loaded.seen_updates
    finished = TaskStatus("t1", "fw-1", "agent-1", TaskState.FINISHED)
    assert state.set_status(loaded, finished)
    assert list(loaded.history) == [*task.history, finished]
    assert state.agents["agent-1"].allocated == Resources()


async def test_a_commit_larger_than_one_statement_keeps_order_and_every_row(db_url: str) -> None:
    """SQLite gets many rows to a statement: more rows than one statement
    takes, the same task twice in one commit (the later version wins), and
    acknowledgements of thousands of updates."""
    url = db_url
    store = StateStore(url)
    await store.start()
    tasks = [_task(n, TaskState.RUNNING) for n in range(3000)]
    first = tasks[0]
    running = first.status
    ended = replace(running, state=TaskState.FINISHED, uuid="ended-0")
    all_of_them = store.write(tasks=tasks, updates=[t.status for t in tasks])
    first.record(ended)
    again = store.write(tasks=[first], updates=[ended])  # queued behind: the same commit
    await asyncio.gather(all_of_them, again)
    assert store.commits == 1
    await store.write(acks=[t.status.uuid for t in tasks[1:]] + [running.uuid])
    await store.close()

    assert _query(url, "SELECT count(*) FROM tasks") == [(3000,)]
    assert _query(url, "SELECT state FROM tasks WHERE task_id = 't0'") == [
        (int(TaskState.FINISHED),)
    ]
    assert _query(url, "SELECT count(*) FROM status_updates") == [(3001,)]
    assert _query(url, "SELECT uuid FROM status_updates WHERE NOT acknowledged") == [("ended-0",)]


async def test_tasks_come_back_in_creation_order_whatever_order_they_were_written_in(
    db_url: str,
) -> None:
    url = db_url
    store = StateStore(url)
    await store.start()
    tasks = [_task(n, TaskState.RUNNING) for n in (3, 1, 2)]
    for task in tasks:
        await store.write(tasks=[task], updates=[task.status])
    await store.close()

    snap = StateStore(url).load()
    assert [t.task_id for t in snap.tasks] == ["t1", "t2", "t3"]
    assert [t.status for t in snap.tasks] == [tasks[1].status, tasks[2].status, tasks[0].status]


async def test_group_commit_fails_every_write_of_a_failed_commit_and_carries_on() -> None:
    """Writes queued together share one commit and its outcome; a failed
    commit is not counted, and the next one runs."""
    from master.store.group_commit import GroupCommit

    committed: list[list[str]] = []

    def commit(writes: Sequence[str]) -> None:
        if "bad" in writes:
            raise ValueError("no")
        committed.append(list(writes))

    group = GroupCommit[str](commit, "test-writer")
    group.start()
    first, bad = group.submit("first"), group.submit("bad")
    results = await asyncio.gather(first, bad, return_exceptions=True)
    assert [type(r) for r in results] == [ValueError, ValueError]
    await asyncio.gather(group.submit("a"), group.submit("b"))
    assert committed == [["a", "b"]] and group.commits == 1
    released: list[bool] = []
    await group.close(lambda: released.append(True))
    assert released == [True]
