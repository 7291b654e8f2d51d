"""Health checks the agent runs for a task, as Mesos and Marathon do.

A checker probes every interval; failures during the grace period do not
count; `max_consecutive_failures` in a row make the task unhealthy, one
success makes it healthy again. Only changes of verdict are reported.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from offer.tasks import HealthCheck

# TCP and HTTP checks reach the container through its published host port.
# The engine publishes on loopback here (dockerd --ip 127.0.0.1).
CHECK_HOST = "127.0.0.1"

Exec = Callable[[tuple[str, ...]], Awaitable[int]]


async def probe_tcp(port: int, within: float) -> tuple[bool, str]:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(CHECK_HOST, port), within)
    except (OSError, TimeoutError) as err:
        return False, f"TCP connect to port {port} failed: {err or 'timed out'}"
    writer.close()
    return True, f"TCP port {port} accepts connections"


async def probe_http(port: int, path: str, within: float) -> tuple[bool, str]:
    async def get() -> str:
        reader, writer = await asyncio.open_connection(CHECK_HOST, port)
        try:
            writer.write(f"GET {path} HTTP/1.0\r\nHost: {CHECK_HOST}\r\n\r\n".encode())
            await writer.drain()
            return (await reader.readline()).decode("latin-1").strip()
        finally:
            writer.close()

    try:
        status_line = await asyncio.wait_for(get(), within)
    except (OSError, TimeoutError) as err:
        return False, f"HTTP GET {path} on port {port} failed: {err or 'timed out'}"
    parts = status_line.split()
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return 200 <= code < 400, f"HTTP GET {path} on port {port} answered {code or status_line!r}"


class HealthChecker:
    def __init__(
        self,
        check: HealthCheck,
        host_port: int | None,
        run_in_container: Exec,
        on_change: Callable[[bool, str], None],
    ) -> None:
        self.check = check
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
            return await probe_tcp(self.host_port, check.timeout)
        return await probe_http(self.host_port, check.path, check.timeout)
