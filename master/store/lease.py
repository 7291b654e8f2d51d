"""The leader's lease in the state store's database: reads and updates of
its one row, each in a transaction of its own (or, for fencing, in the
caller's). The decisions (who may take it, when a holder must stop) are
master.leadership's; this is only the SQL.

Times are the database's clock: on PostgreSQL `clock_timestamp()`, on
SQLite `julianday('now')`, both as Unix seconds, so that no master's clock
matters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Float, cast, literal_column, select, text, update
from sqlalchemy.sql.elements import ColumnElement

from master.store.models import LeadershipRow

_ROW = 1


@dataclass(frozen=True)
class LeaseState:
    """The lease row as read, with the database's clock at that moment."""

    epoch: int
    holder: str
    address: str
    renewed_at: float
    lease_seconds: float
    now: float

    @property
    def expired(self) -> bool:
        return self.renewed_at + self.lease_seconds < self.now


class LeaseTable:
    """The lease row of the database behind `engine` (migrated: the row exists)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._now = _db_now(engine.dialect.name)

    def read(self) -> LeaseState:
        with self._engine.connect() as connection:
            return self._read(connection, lock=False)

    def take_if(
        self,
        holder: str,
        address: str,
        lease_seconds: float,
        may_take: Callable[[LeaseState], bool],
        wait_seconds: float,
    ) -> tuple[LeaseState, bool]:
        """Reads the row locked and, when `may_take(row)`, takes the lease in
        the same transaction: epoch + 1, this holder and address, renewed
        now. Returns the row (as taken, or as found) and whether it was taken.
        Waits at most `wait_seconds` for the row's lock (on PostgreSQL: a
        stale leader's open transaction holds it until it ends)."""
        with self._engine.begin() as connection:
            self._limit(connection, wait_seconds)
            found = self._read(connection, lock=True)
            if not may_take(found):
                return found, False
            connection.execute(
                update(LeadershipRow)
                .where(LeadershipRow.id == _ROW)
                .values(
                    epoch=LeadershipRow.epoch + 1,
                    holder=holder,
                    address=address,
                    renewed_at=self._now,
                    lease_seconds=lease_seconds,
                )
            )
            return self._read(connection, lock=False), True

    def renew(self, holder: str, epoch: int, lease_seconds: float, wait_seconds: float) -> bool:
        """Renews the lease if `holder` still holds it at `epoch`: False when
        another took it since."""
        with self._engine.begin() as connection:
            self._limit(connection, wait_seconds)
            done = connection.execute(
                update(LeadershipRow)
                .where(
                    LeadershipRow.id == _ROW,
                    LeadershipRow.epoch == epoch,
                    LeadershipRow.holder == holder,
                )
                .values(renewed_at=self._now, lease_seconds=lease_seconds)
            )
            return done.rowcount == 1

    def resign(self, holder: str, epoch: int) -> None:
        """Lets the lease go at once (a clean shutdown): a standby may take it
        on its next look instead of waiting the lease out."""
        with self._engine.begin() as connection:
            connection.execute(
                update(LeadershipRow)
                .where(
                    LeadershipRow.id == _ROW,
                    LeadershipRow.epoch == epoch,
                    LeadershipRow.holder == holder,
                )
                .values(renewed_at=0.0, lease_seconds=0.0)
            )

    def epoch_in(self, connection: Connection) -> int:
        """The row's epoch, read inside the caller's transaction with a share
        lock (PostgreSQL): an election waits for that transaction to end, so
        a write checked against the epoch commits before any new leader
        reads the state, or not at all."""
        query = select(LeadershipRow.epoch).where(LeadershipRow.id == _ROW)
        if self._postgres:
            query = query.with_for_update(read=True)
        return int(connection.execute(query).scalar_one())

    def _read(self, connection: Connection, *, lock: bool) -> LeaseState:
        query = select(
            LeadershipRow.epoch,
            LeadershipRow.holder,
            LeadershipRow.address,
            LeadershipRow.renewed_at,
            LeadershipRow.lease_seconds,
            self._now,
        ).where(LeadershipRow.id == _ROW)
        if lock and self._postgres:
            query = query.with_for_update()
        epoch, holder, address, renewed_at, lease_seconds, now = connection.execute(query).one()
        return LeaseState(
            int(epoch), holder, address, float(renewed_at), float(lease_seconds), float(now)
        )

    def _limit(self, connection: Connection, seconds: float) -> None:
        """On PostgreSQL, no statement of this transaction waits longer than
        `seconds` (for a lock or otherwise)."""
        if self._postgres:
            ms = max(1, int(seconds * 1000))
            connection.execute(text(f"SET LOCAL lock_timeout = {ms}"))
            connection.execute(text(f"SET LOCAL statement_timeout = {ms}"))


def _db_now(dialect: str) -> ColumnElement[float]:
    """The database's clock as Unix seconds, evaluated per statement."""
    if dialect == "postgresql":
        sql = "extract(epoch from clock_timestamp())"
    else:
        sql = "(julianday('now') - 2440587.5) * 86400.0"
    return cast(literal_column(sql), Float)
