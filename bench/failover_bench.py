"""Master failover on PostgreSQL (issue 22): three masters on one durable
PostgreSQL database, a framework (the SDK's Driver) given all three. The
leader is killed -9 ten times; each failover is timed from the kill until
the framework, resubscribed to the new leader, has a call answered there.
The killed master comes back as a standby before the next kill. Measured
with an empty state and with 100,000 tasks the new leader must recover.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import grpc

from bench.masterproc import free_port
from bench.pgserver import PostgresServer, postgres_problem
from bench.recovery_bench import _cluster, _fill
from frameworks.sdk import Driver, Scheduler, SchedulerDriver
from offer.v1 import operator_pb2, operator_pb2_grpc

MASTERS = 3
LEASE = 1.5
KILLS = 10
TIMEOUT = 120.0


@dataclass(frozen=True)
class FailoverResult:
    tasks: int
    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def worst(self) -> float:
        return max(self.seconds)


class _Master:
    def __init__(self, db_url: str, root: Path) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._args = [sys.executable, "-m", "master.cli", "--port", str(self.port)]
        self._args += ["--db", db_url, "--leader-lease", str(LEASE), "--agent-timeout", "600"]
        self._log = root / f"master-{self.port}.log"
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._popen = subprocess.Popen(
            self._args,
            stdout=self._log.open("ab"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        _until(lambda: self.role() != operator_pb2.MASTER_ROLE_UNSPECIFIED, "a master to answer")

    def role(self) -> int:
        """Its role from GetStatus (a standby answers it too); UNSPECIFIED
        when it does not answer."""
        if self._popen is None or self._popen.poll() is not None:
            return operator_pb2.MASTER_ROLE_UNSPECIFIED
        with grpc.insecure_channel(self.address) as channel:
            try:
                status = operator_pb2_grpc.OperatorStub(channel).GetStatus(
                    operator_pb2.GetStatusRequest(), timeout=1
                )
            except grpc.RpcError:
                return operator_pb2.MASTER_ROLE_UNSPECIFIED
        return int(status.role)

    def kill(self) -> None:
        assert self._popen is not None
        self._popen.send_signal(signal.SIGKILL)
        self._popen.wait()

    def stop(self) -> None:
        if self._popen is not None and self._popen.poll() is None:
            self._popen.kill()
            self._popen.wait()


class _Subscriptions(Scheduler):
    """Counts the framework's subscriptions (the first and each after a failover)."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = asyncio.Event()

    async def subscribed(self, driver: SchedulerDriver, framework_id: str) -> None:
        self.count += 1
        self.changed.set()


def _until(predicate: object, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)


async def _failovers(masters: list[_Master], kills: int) -> list[float]:
    scheduler = _Subscriptions()
    driver = Driver(
        scheduler,
        master=",".join(m.address for m in masters),
        name="failover-bench",
        failover_timeout=3600.0,
    )
    running = asyncio.create_task(driver.run())
    seconds = []
    try:
        await asyncio.wait_for(scheduler.changed.wait(), TIMEOUT)
        for _ in range(kills):
            leader = next(m for m in masters if m.role() == operator_pb2.MASTER_ROLE_LEADER)
            scheduler.changed.clear()
            before = scheduler.count
            killed_at = time.perf_counter()
            leader.kill()
            while scheduler.count == before:
                await asyncio.wait_for(scheduler.changed.wait(), TIMEOUT)
                scheduler.changed.clear()
            await asyncio.wait_for(driver.reconcile(), TIMEOUT)
            seconds.append(time.perf_counter() - killed_at)
            # Back as a standby before the next kill: always three masters.
            await asyncio.to_thread(leader.start)
    finally:
        driver.stop()
        await asyncio.wait_for(running, TIMEOUT)
    return seconds


def _one(server: PostgresServer, root: Path, tasks: int, kills: int) -> FailoverResult:
    url = server.new_database()
    if tasks:
        agents, fws, task_list = _cluster(max(1, tasks // 10), tasks)
        asyncio.run(_fill(url, agents, fws, task_list))
    masters = [_Master(url, root) for _ in range(MASTERS)]
    try:
        for master in masters:
            master.start()
        return FailoverResult(tasks, tuple(asyncio.run(_failovers(masters, kills))))
    finally:
        for master in masters:
            master.stop()


def run(quick: bool) -> list[FailoverResult]:
    if problem := postgres_problem():
        raise RuntimeError(f"the failover benchmark cannot run here: {problem}")
    sizes = (0, 10_000) if quick else (0, 100_000)
    kills = 3 if quick else KILLS
    server = PostgresServer(durable=True)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="offer-failover-") as tmp:
            return [_one(server, Path(tmp), size, kills) for size in sizes]
    finally:
        server.stop()


def report(results: list[FailoverResult]) -> str:
    lines = [
        "## Master failover on PostgreSQL",
        "",
        f"{MASTERS} masters on one durable PostgreSQL database (`bench/failover_bench.py`), "
        f"`--leader-lease {LEASE}`; a framework (the SDK's Driver) given all of them. The "
        "leader is killed -9; each failover is timed from the kill until the framework, "
        "resubscribed to the new leader, has a call (reconcile) answered there. The killed "
        "master restarts as a standby before the next kill.",
        "",
        "| tasks in the state | failovers | median | worst |",
        "|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.tasks:,} | {len(r.seconds)} | {r.median:.2f} s | {r.worst:.2f} s |")
    small = results[0]
    verdict = "met" if small.median < 3.0 else "missed"
    lines += ["", f"Target: under 3 s at small state **{verdict}** ({small.median:.2f} s median)."]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(quick="--quick" in sys.argv)))
