"""An atomic AcceptMany refused in part, on a real in-process master: it
launches nothing, in memory, in the store or at an agent, and every offer
stays outstanding."""

from __future__ import annotations

import asyncio
from pathlib import Path

from master.errors import ErrorKind, MasterError
from master.frameworks import Acceptance
from master.messages import LaunchTask, OffersMade
from offer.resources import Resources
from offer.tasks import TaskSpec
from tests.support.inprocess import in_process_master


def spec(task_id: str, cpus: float) -> TaskSpec:
    return TaskSpec(task_id, task_id, Resources(cpus, 64), "busybox")


async def test_an_atomic_accept_many_refused_in_part_launches_nothing(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        (agent_a, to_a), (agent_b, to_b) = await m.add_agent(), await m.add_agent()
        fid, events = await m.subscribe()
        offers: dict[str, str] = {}  # agent id -> its offer
        while len(offers) < 2:
            for offer in (await events.next(OffersMade)).offers:
                offers[offer.agent_id] = offer.offer_id
        gang = [
            Acceptance([offers[agent_a]], [spec("g0", 1), spec("g1", 1)]),
            Acceptance([offers[agent_b]], [spec("g2", 1), spec("g3", 1.5)]),  # 2.5 of 2 cpus
        ]

        outcomes = await m.master.framework_calls.accept_many(fid, gang, atomic=True)

        aborted, refused = outcomes
        assert isinstance(aborted, MasterError) and isinstance(refused, MasterError)
        assert refused.kind == ErrorKind.INVALID_ARGUMENT, refused
        assert "cpus 2.5 > 2" in str(refused)
        assert aborted.kind == ErrorKind.ABORTED
        assert "entry 1" in str(aborted)
        assert m.master.state.tasks == {}
        assert set(offers.values()) <= set(m.master.state.offers)
        assert await to_a.waiting(LaunchTask) == [] and await to_b.waiting(LaunchTask) == []
        stored = await asyncio.to_thread(m.master.store.load)
        assert stored.tasks == []
        # The offers are still the framework's: the gang fits once it is right.
        gang[1] = Acceptance([offers[agent_b]], [spec("g2", 1), spec("g3", 1)])
        launched = await m.master.framework_calls.accept_many(fid, gang, atomic=True)
        assert [[t.spec.task_id for t in o] for o in launched if isinstance(o, list)] == [
            ["g0", "g1"],
            ["g2", "g3"],
        ]
        assert not set(offers.values()) & set(m.master.state.offers)
