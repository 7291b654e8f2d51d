"""Health checks the agent runs for a task, as Mesos and Marathon do.

A checker probes every interval; failures during the grace period do not
count; `max_consecutive_failures` in a row make the task unhealthy, one
success makes it healthy again. Only changes of verdict are reported.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from offer.addresses import host_port as join_host_port
from offer.tasks import HealthCheck

Exec = Callable[[tuple[str, ...]], Awaitable[int]]


# TCP and HTTP checks reach the container as other hosts do: through its
# published host port on the agent's advertised address, where the port is
# bound (agent/address.py).


async def probe_tcp(host: str, port: int, within: float) -> tuple[bool, str]:
    where = join_host_port(host, port)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), within)
    except (OSError, TimeoutError) as err:
        return False, f"TCP connect to {where} failed: {err or 'timed out'}"
    writer.close()
    return True, f"TCP {where} accepts connections"


async def probe_http(host: str, port: int, path: str, within: float) -> tuple[bool, str]:
    where = join_host_port(host, port)

    async def get() -> str:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(f"GET {path} HTTP/1.0\r\nHost: {where}\r\n\r\n".encode())
            await writer.drain()
            return (await reader.readline()).decode("latin-1").strip()
        finally:
            writer.close()

    try:
        status_line = await asyncio.wait_for(get(), within)
    except (OSError, TimeoutError) as err:
        return False, f"HTTP GET {path} on {where} failed: {err or 'timed out'}"
    parts = status_line.split()
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return 200 <= code < 400, f"HTTP GET {path} on {where} answered {code or status_line!r}"


class HealthChecker:
    def __init__(
        self,
        check: HealthCheck,
        host: str,
        host_port: int | None,
        run_in_container: Exec,
        on_change: Callable[[bool, str], None],
    ) -> None:
        self.check = check
        # The agent's advertised address, where the task's host port is bound.
        self.host = host
        self.host_port = host_port
        self._exec = run_in_container
        self._on_change = on_change
        self.healthy: bool | None = None

    async def run(self) -> None:
        """Probes until cancelled."""
        started = time.monotonic()
        failures = 0
        while True:
            await asyncio.sleep(self.check.interval)
            ok, detail = await self._probe()
            if ok:
                failures = 0
                if self.healthy is not True:
                    self.healthy = True
                    self._on_change(True, f"healthy: {detail}")
            elif time.monotonic() - started >= self.check.grace_period:
                failures += 1
                if failures >= self.check.max_consecutive_failures and self.healthy is not False:
                    self.healthy = False
                    self._on_change(False, f"unhealthy after {failures} failed checks: {detail}")

    async def _probe(self) -> tuple[bool, str]:
        check = self.check
        if check.kind == "command":
            try:
                code = await asyncio.wait_for(self._exec(check.command), check.timeout)
            except TimeoutError:
                return False, f"command {' '.join(check.command)!r} timed out"
            except Exception as err:
                return False, f"command could not run: {err}"
            return code == 0, f"command {' '.join(check.command)!r} exited with {code}"
        if self.host_port is None:
            return False, f"container port {check.port} is not published"
        if check.kind == "tcp":
            return await probe_tcp(self.host, self.host_port, check.timeout)
        return await probe_http(self.host, self.host_port, check.path, check.timeout)
