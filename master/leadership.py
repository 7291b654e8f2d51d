"""Leader election through the state store's database, with fencing.

Any number of masters share one database; the lease row (master/store/
lease.py) says which one leads. The rules:

- **Election.** A master takes the lease when the row's holder let it run
  out: `renewed_at + lease_seconds` is past on the *database's* clock, so
  no master's clock matters. Taking it increments the epoch, in one
  transaction with the row locked, so two masters can never take the same
  epoch.
- **Renewal.** The leader renews every lease/3. It stops serving at once
  (`hold` returns) when a renewal finds another epoch, or when none
  succeeded within `lease_seconds` of being sent: by then a standby may
  have taken the lease.
- **Fencing.** Every write transaction of the leader first reads the
  row's epoch under a share lock (`fence`): another epoch aborts the
  transaction, so nothing is written, and the master stops serving. An
  election waits for that share lock, so a write the fence let through
  commits before the new leader reads the state. A leader that lost its
  connection, paused or was partitioned can therefore never write after a
  new one was elected, whatever its own clocks say.
- **One master on a SQLite file** holds the file's lock already
  (offer.exclusive.lock_state_file): it takes the lease at start,
  whatever the row says, and neither renews nor fences (`exclusive`).

What a master does when it loses (master.server): it stops serving and
exits non-zero; its supervisor starts it again, as a standby.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from master.store.group_commit import CommitRefused
from master.store.lease import LeaseState, LeaseTable

__all__ = ["DEFAULT_LEASE_SECONDS", "Leadership", "LeadershipLost", "may_take"]

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 3.0

_T = TypeVar("_T")


class LeadershipLost(CommitRefused):
    """A write was refused: this master no longer holds the lease it wrote under."""


def may_take(row: LeaseState, holder: str, *, exclusive: bool) -> bool:
    """Whether `holder` may take the lease as `row` stands: always with the
    database to itself (`exclusive`), else when it is free or ran out."""
    return exclusive or not row.holder or row.holder == holder or row.expired


def default_holder() -> str:
    """Names this process in the lease row: host, pid and a nonce (a pid
    can come back after a restart; the nonce cannot)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Leadership:
    """This master's standing: `campaign` until it leads, then `hold`.

    `leader` is the leader's advertised address as last seen (this
    master's own while it leads; None while no lease is held).
    """

    def __init__(
        self,
        lease: LeaseTable,
        address: str,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        *,
        exclusive: bool = False,
        holder: str | None = None,
    ) -> None:
        self.address = address
        self.lease_seconds = lease_seconds
        self.exclusive = exclusive
        self.holder = holder or default_holder()
        self.epoch: int | None = None
        self.leader: str | None = None
        self.leading = False
        self.lost_reason = ""
        self._lease = lease
        self._valid_until = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lost: asyncio.Event | None = None

    async def campaign(self) -> None:
        """Returns once this master holds the lease; until then looks every
        lease/4, keeping `leader` up to date."""
        self._loop = asyncio.get_running_loop()
        self._lost = asyncio.Event()
        seen: tuple[str | None, str] | None = None
        while True:
            sent = time.monotonic()
            try:
                row, won = await _in_thread(
                    self._lease.take_if,
                    self.holder,
                    self.address,
                    self.lease_seconds,
                    lambda row: may_take(row, self.holder, exclusive=self.exclusive),
                    self.lease_seconds,
                )
            except SQLAlchemyError as err:
                problem = _first_line(err)
                if seen != (None, problem):
                    log.warning("%s: %s", _campaign_problem(err), problem)
                seen = (None, problem)
                self.leader = None
            else:
                if won:
                    self._took(row, sent)
                    return
                self.leader = None if row.expired or not row.holder else row.address
                if seen != (self.leader, ""):
                    log.info(
                        "standing by: %s",
                        f"the leader is {self.leader} (epoch {row.epoch})"
                        if self.leader
                        else "no leader is elected yet",
                    )
                seen = (self.leader, "")
            await asyncio.sleep(self.lease_seconds / 4)

    async def hold(self) -> str:
        """Keeps the lease, renewing it every lease/3, until it is lost;
        returns why. With the database to itself (`exclusive`) it is never
        lost: this only waits."""
        assert self._lost is not None, "campaign first"
        if self.exclusive:
            await self._lost.wait()
            return self.lost_reason
        while True:
            wait = min(self.lease_seconds / 3, self._valid_until - time.monotonic())
            try:
                await asyncio.wait_for(self._lost.wait(), max(0.0, wait))
                return self.lost_reason
            except TimeoutError:
                pass
            sent = time.monotonic()
            if sent >= self._valid_until:
                return self._lose(f"the lease was not renewed within {self.lease_seconds:g} s")
            assert self.epoch is not None
            try:
                renewed = await asyncio.wait_for(
                    _in_thread(
                        self._lease.renew,
                        self.holder,
                        self.epoch,
                        self.lease_seconds,
                        self._valid_until - sent,
                    ),
                    self._valid_until - sent,
                )
            except TimeoutError:
                return self._lose(
                    f"the database did not confirm the lease within {self.lease_seconds:g} s"
                )
            except SQLAlchemyError as err:
                log.warning("could not renew the lease (retrying): %s", _first_line(err))
                continue
            if not renewed:
                return self._lose("another master took the lease")
            self._valid_until = sent + self.lease_seconds

    def fence(self, connection: Connection) -> None:
        """Checks, first in a write transaction (on the committing thread),
        that the lease is still at this master's epoch; raises
        LeadershipLost, so that nothing is written, when it moved on."""
        current = self._lease.epoch_in(connection)
        if current != self.epoch:
            reason = (
                f"a write found the lease at epoch {current}, "
                f"not this master's {self.epoch}: another master leads"
            )
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._lose, reason)
            raise LeadershipLost(reason)

    async def resign(self) -> None:
        """Lets the lease go (a clean shutdown, after the last write), so a
        standby takes over at its next look rather than after the lease."""
        if self.exclusive or not self.leading or self.epoch is None:
            return
        self.leading = False
        try:
            await asyncio.wait_for(
                _in_thread(self._lease.resign, self.holder, self.epoch), self.lease_seconds
            )
            log.info("gave up the lead (epoch %d)", self.epoch)
        except (TimeoutError, SQLAlchemyError) as err:
            log.warning("could not give up the lease; it runs out by itself: %s", err)

    def _took(self, row: LeaseState, sent: float) -> None:
        self.epoch = row.epoch
        self.leading = True
        self.leader = self.address
        self._valid_until = sent + self.lease_seconds
        log.info("leading as %s (epoch %d)", self.address, row.epoch)

    def _lose(self, reason: str) -> str:
        if self.leading:
            self.leading = False
            self.leader = None
            self.lost_reason = reason
            log.warning("lost the lead (epoch %s): %s", self.epoch, reason)
        if self._lost is not None:
            self._lost.set()
        return self.lost_reason


async def _in_thread(fn: Callable[..., _T], *args: object) -> _T:
    """Runs blocking `fn(*args)` on a daemon thread of its own: a database
    call that hangs (a partitioned connection) must neither hold up the
    event loop's executor nor keep the process from exiting."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[_T] = loop.create_future()

    def settle(result: _T | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = fn(*args), None
        except BaseException as exc:  # handed to the awaiting coroutine
            result, error = None, exc
        # RuntimeError: the loop closed meanwhile, and nobody waits.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="leadership", daemon=True).start()
    return await done


# PostgreSQL's lock_not_available and query_canceled: the lease row was
# locked past the lease (a leader's write in flight, or a paused leader's).
_LOCK_WAITS = ("55P03", "57014")


def _campaign_problem(err: SQLAlchemyError) -> str:
    if getattr(getattr(err, "orig", None), "sqlstate", None) in _LOCK_WAITS:
        return (
            "the lease row stayed locked (a write of the leader's in flight, "
            "or a paused leader); trying again"
        )
    return "cannot reach the database to compete for the lead"


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
