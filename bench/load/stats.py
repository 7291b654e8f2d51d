"""What the load tool measures, recorded in the one process that runs both
the load agents and the load frameworks, so that both ends of a latency
read the same clock."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank); 0.0 when there are no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))
    return ordered[rank]


@dataclass
class Recorder:
    """Timestamps of launches and latency samples, each with the time it
    was taken so that a measurement window can be cut out afterwards."""

    launches: list[float] = field(default_factory=list)
    # (when received, seconds from the agent's terminal update to an offer of it)
    offer_latencies: list[tuple[float, float]] = field(default_factory=list)
    # (when received, seconds from the agent sending an update to the framework getting it)
    update_latencies: list[tuple[float, float]] = field(default_factory=list)
    # agent id -> (time freed, cpus freed) not yet seen in an offer, oldest first
    _freed: dict[str, deque[tuple[float, float]]] = field(default_factory=dict)

    def launched(self) -> None:
        self.launches.append(time.time())

    def freed(self, agent_id: str, cpus: float) -> None:
        """A task ended on `agent_id`: its cpus should come back in an offer."""
        self._freed.setdefault(agent_id, deque()).append((time.time(), cpus))

    def offered(self, agent_id: str, cpus: float) -> None:
        """An offer of `cpus` on `agent_id` reached a framework. It covers the
        oldest frees on that agent that fit in it: every other cpu of a busy
        agent is in use, so what an offer holds is what was freed."""
        pending = self._freed.get(agent_id)
        now = time.time()
        while pending and pending[0][1] <= cpus + 1e-9:
            at, amount = pending.popleft()
            cpus -= amount
            self.offer_latencies.append((now, now - at))

    def update_received(self, sent_at: float) -> None:
        now = time.time()
        self.update_latencies.append((now, now - sent_at))


def window(samples: list[tuple[float, float]], start: float, end: float) -> list[float]:
    return [value for at, value in samples if start <= at <= end]
