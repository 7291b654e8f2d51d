"""A real master in the test's own process: the real `Master` with a real
`StateStore` on a temporary SQLite file, real `Outbox`es as the links of
its agents and frameworks, and a `ManualClock`, so that timeouts are
tested by moving time on (`await m.clock.advance(60)`), not by sleeping.

Nothing is faked but the other ends of the streams: a test plays the agent
(it reads the commands the master sends and reports task states) and the
framework (it reads events and answers offers), calling the core as the
servicers do.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from master.cluster import Offer
from master.core import Master, MasterConfig
from master.messages import AgentCommand, FrameworkEvent, LaunchTask, OffersMade, StatusChanged
from master.store import StateStore
from offer.clock import ManualClock, settle
from offer.outbox import Outbox
from offer.resources import Resources
from offer.tasks import TaskSpec, TaskState, TaskStatus

# How long (real time) a test waits for a message before it fails: a guard
# against a hang, never a measure of anything.
MESSAGE_TIMEOUT = 10.0

T = TypeVar("T")
M = TypeVar("M")


class Stream(Generic[T]):
    """What the master sent down one link, read as it arrives (until the
    master closes the link)."""

    def __init__(self, link: Outbox[T]) -> None:
        self.link = link
        self.received: list[T] = []
        self._taken: set[int] = set()
        self._arrived = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for batch in self.link.batches():
            async with self._arrived:
                self.received.extend(batch)
                self._arrived.notify_all()

    async def next(self, kind: type[M], where: Callable[[M], object] = lambda _: True) -> M:
        """The first message of `kind` matching `where` not taken yet,
        awaited until it arrives; it is then taken."""
        found: list[M] = []

        def arrived() -> bool:
            for n, message in enumerate(self.received):
                if n not in self._taken and isinstance(message, kind) and where(message):
                    self._taken.add(n)
                    found.append(message)
                    return True
            return False

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(arrived), MESSAGE_TIMEOUT)
        return found[0]

    async def waiting(self, kind: type[M]) -> list[M]:
        """Messages of `kind` received and not taken, once the loop has run
        what was ready (a cycle's offers, say)."""
        await settle()
        return [
            m for n, m in enumerate(self.received) if n not in self._taken and isinstance(m, kind)
        ]


class InProcessMaster:
    def __init__(self, master: Master, clock: ManualClock) -> None:
        self.master = master
        self.clock = clock
        self.config = master.config
        self._task_ids = itertools.count(1)

    async def add_agent(
        self, total: Resources | None = None, agent_id: str = ""
    ) -> tuple[str, Stream[AgentCommand]]:
        """Registers an agent (2 cpus and 1024 MiB unless `total` says);
        its id and what the master sends it."""
        link: Outbox[AgentCommand] = Outbox()
        stream = Stream(link)
        total = total or Resources(2, 1024)
        agent = await self.master.agent_calls.register(agent_id, "host", total, [], link)
        return agent.agent_id, stream

    async def subscribe(
        self, name: str = "fw", failover_timeout: float = 0.0
    ) -> tuple[str, Stream[FrameworkEvent]]:
        """Subscribes a new framework; its id and the events it gets."""
        link: Outbox[FrameworkEvent] = Outbox()
        stream = Stream(link)
        fw = await self.master.framework_calls.subscribe(
            "", name, "*", "user", failover_timeout, link
        )
        return fw.framework_id, stream

    async def next_offer(self, events: Stream[FrameworkEvent]) -> Offer:
        made = await events.next(OffersMade)
        return made.offers[0]

    async def launch(
        self,
        framework_id: str,
        events: Stream[FrameworkEvent],
        agent: Stream[AgentCommand],
        cpus: float = 0.5,
    ) -> str:
        """Accepts the framework's next offer for one task, which the agent
        then reports RUNNING; the task's id."""
        offer = await self.next_offer(events)
        spec = TaskSpec(f"t{next(self._task_ids)}", "t", Resources(cpus, 64), "busybox")
        await self.master.framework_calls.accept(framework_id, [offer.offer_id], [spec], None)
        launch = await agent.next(LaunchTask, lambda c: c.spec.task_id == spec.task_id)
        running = TaskStatus(spec.task_id, framework_id, offer.agent_id, TaskState.RUNNING)
        await self.master.agent_calls.status_updates(offer.agent_id, [running])
        await events.next(StatusChanged, lambda e: e.status.uuid == running.uuid)
        return launch.spec.task_id

    def cycle(self) -> None:
        """Runs an allocation cycle now (as the loop would at this time)."""
        self.master.allocation.cycle(self.master.offers)


@asynccontextmanager
async def in_process_master(
    directory: Path, config: MasterConfig | None = None, **settings: Any
) -> AsyncIterator[InProcessMaster]:
    """A started master whose state is in `directory`/master.db; `settings`
    replace MasterConfig's defaults. Its allocation runs with no delay after
    a request (the delay is real time): a cycle then runs as soon as the
    loop gets to it, and so within every `clock.advance`."""
    clock = ManualClock()
    store = StateStore(f"sqlite:///{directory / 'master.db'}")
    config = config or MasterConfig(**{"allocation_delay": 0.0, **settings})
    master = Master(store, config, clock)
    await master.start()
    try:
        yield InProcessMaster(master, clock)
    finally:
        await master.stop()
