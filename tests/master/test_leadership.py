"""Leader election and fencing against a real database (master/leadership.py,
master/store/lease.py): PostgreSQL for several masters, SQLite for one."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from master.cluster import Framework
from master.leadership import Leadership, LeadershipLost, may_take
from master.store import StateStore
from master.store.lease import LeaseState
from tests.support.postgres import PostgresServer


def _row(
    holder: str = "b", renewed_at: float = 100.0, lease: float = 3.0, now: float = 101.0
) -> LeaseState:
    return LeaseState(7, holder, "b:5050", renewed_at, lease, now)


@pytest.mark.parametrize(
    ("row", "exclusive", "taken"),
    [
        (_row(), False, False),  # held, not run out
        (_row(now=103.5), False, True),  # run out on the database's clock
        (_row(holder=""), False, True),  # never held
        (_row(holder="a"), False, True),  # its own, from before
        (_row(), True, True),  # a SQLite file: its lock is the lease
    ],
)
def test_who_may_take_the_lease(row: LeaseState, exclusive: bool, taken: bool) -> None:
    assert may_take(row, "a", exclusive=exclusive) is taken


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    return postgres.new_database()


@pytest.fixture
async def store(pg_url: str) -> AsyncIterator[StateStore]:
    opened = StateStore(pg_url)
    try:
        yield opened
    finally:
        await opened.close()


def _framework(fid: str) -> Framework:
    return Framework(
        framework_id=fid, name=fid, role="*", user="u", failover_timeout=60, registered_at=1.0
    )


def _frameworks(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [r[0] for r in connection.execute(text("SELECT framework_id FROM frameworks"))]
    finally:
        engine.dispose()


async def test_one_master_leads_and_the_other_stands_by_naming_it(store: StateStore) -> None:
    first = Leadership(store.lease, "m1:5050", 2.0)
    await asyncio.wait_for(first.campaign(), 5)
    assert (first.leading, first.epoch, first.leader) == (True, 1, "m1:5050")

    second = Leadership(store.lease, "m2:5050", 2.0)
    waiting = asyncio.create_task(second.campaign())
    holding = asyncio.create_task(first.hold())
    await asyncio.sleep(1.0)
    # Renewed every lease/3, the lease never runs out: the second waits.
    assert not waiting.done() and not second.leading
    assert second.leader == "m1:5050"

    holding.cancel()  # the leader stops renewing (as a dead one would)
    started = time.monotonic()
    await asyncio.wait_for(waiting, 5)
    assert 1.0 < time.monotonic() - started < 3.5
    assert (second.leading, second.epoch, second.leader) == (True, 2, "m2:5050")


async def test_a_stale_leaders_write_is_refused_and_nothing_written(
    store: StateStore, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    old = Leadership(store.lease, "m1:5050", 0.3)
    await old.campaign()
    store.fence_writes(old.fence)
    await store.start()
    await store.write(frameworks=[_framework("fw-before")])

    # The old leader paused past its lease (no renewal); another took over.
    await asyncio.sleep(0.5)
    new = Leadership(store.lease, "m2:5050", 3.0)
    await asyncio.wait_for(new.campaign(), 5)
    assert new.epoch == 2

    with pytest.raises(LeadershipLost, match="epoch 2, not this master's 1"):
        await store.write(frameworks=[_framework("fw-late")])
    assert _frameworks(pg_url) == ["fw-before"]
    # Said in one line, as the refusal it is, not as a failure's traceback.
    [refused] = [r for r in caplog.records if "commit refused" in r.getMessage()]
    assert refused.levelname == "WARNING" and refused.exc_info is None
    assert "not this master's 1: another master leads" in refused.getMessage()
    # And the old leader learnt it lost: its hold ends at once.
    reason = await asyncio.wait_for(old.hold(), 1)
    assert reason.startswith("a write found the lease at epoch 2")
    assert not old.leading


async def test_a_leader_whose_epoch_moved_stops_within_a_renewal(
    store: StateStore, pg_url: str
) -> None:
    leader = Leadership(store.lease, "m1:5050", 1.5)
    await leader.campaign()
    holding = asyncio.create_task(leader.hold())
    _sql(pg_url, "UPDATE leadership SET epoch = epoch + 1, holder = 'other', address = 'm9:1'")
    reason = await asyncio.wait_for(holding, 1.5)
    assert reason == "another master took the lease"
    assert not leader.leading


async def test_a_leader_that_cannot_renew_stops_within_its_lease(
    store: StateStore, pg_url: str
) -> None:
    """The lease row is locked by someone else (as a cut or blocked
    connection would keep the renewal from confirming): the leader stops
    serving once its lease is over, not later."""
    leader = Leadership(store.lease, "m1:5050", 1.0)
    await leader.campaign()
    took = time.monotonic()
    holding = asyncio.create_task(leader.hold())
    release = threading.Event()
    blocker = threading.Thread(target=_lock_lease_row, args=(pg_url, release))
    blocker.start()
    try:
        reason = await asyncio.wait_for(holding, 3)
        assert "within 1 s" in reason
        assert time.monotonic() - took <= 1.2
    finally:
        release.set()
        blocker.join()


def test_an_election_waits_for_a_fenced_write_in_flight(store: StateStore, pg_url: str) -> None:
    """The fence's share lock: while a write checked against epoch 1 is
    open, nobody can take epoch 2; once it committed, the lease can move."""
    engine = create_engine(pg_url)
    try:
        with engine.begin() as writing:
            assert store.lease.epoch_in(writing) == 0
            with pytest.raises(OperationalError, match="while locking tuple"):
                store.lease.take_if("b", "b:1", 3.0, lambda row: True, 0.3)
        _, taken = store.lease.take_if("b", "b:1", 3.0, lambda row: True, 0.3)
        assert taken
    finally:
        engine.dispose()


async def test_one_master_on_sqlite_takes_the_lease_at_once(tmp_path: Path) -> None:
    """A SQLite file is held by one master (its file lock): it takes the
    lease whatever the row says, and neither renews nor fences."""
    url = f"sqlite:///{tmp_path / 'master.db'}"
    store = StateStore(url)
    try:
        assert not store.shared
        _sql(
            url,
            "UPDATE leadership SET epoch = 4, holder = 'gone', "
            "renewed_at = 1e12, lease_seconds = 60",
        )
        leadership = Leadership(store.lease, "m1:5050", 3.0, exclusive=True)
        await asyncio.wait_for(leadership.campaign(), 5)
        assert (leadership.leading, leadership.epoch) == (True, 5)
    finally:
        await store.close()


def _sql(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def _lock_lease_row(url: str, release: threading.Event) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT * FROM leadership FOR UPDATE"))
            release.wait(10)
    finally:
        engine.dispose()
