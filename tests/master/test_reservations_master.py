"""Reservations in a real master (in-process, ManualClock) with a real
store: static ones from Register, RESERVE and UNRESERVE through Accept,
an operator's reserve and unreserve, the refusals, and recovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from master.cluster import Offer
from master.errors import ErrorKind, MasterError
from master.frameworks import Acceptance
from master.messages import AgentCommand, FrameworkEvent, OffersMade
from master.reservations import ReservationChange
from offer.outbox import Outbox
from offer.resources import Resources
from offer.tasks import TaskSpec
from tests.support.inprocess import InProcessMaster, Stream, in_process_master

PROD = Resources(2, 2048)


async def _agent(
    m: InProcessMaster, total: Resources, reservations: dict[str, Resources] | None = None
) -> str:
    link: Outbox[AgentCommand] = Outbox()
    agent = await m.master.agent_calls.register(
        "", "host", total, [], link, reservations=reservations
    )
    return agent.agent_id


async def _subscribe(m: InProcessMaster, role: str) -> tuple[str, Stream[FrameworkEvent]]:
    link: Outbox[FrameworkEvent] = Outbox()
    fw = await m.master.framework_calls.subscribe("", role, role, "user", 0.0, link)
    return fw.framework_id, Stream(link)


async def _offer(events: Stream[FrameworkEvent]) -> Offer:
    made = await events.next(OffersMade)
    [offer] = made.offers
    return offer


async def test_static_reservation_is_offered_to_its_role_only(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m, Resources(4, 4096), {"prod": PROD})
        batch, batch_events = await _subscribe(m, "batch")
        batch_offer = await _offer(batch_events)
        assert batch_offer.resources.without_ports() == Resources(2, 2048)
        assert batch_offer.reserved == Resources()
        prod, prod_events = await _subscribe(m, "prod")
        prod_offer = await _offer(prod_events)
        assert prod_offer.resources == prod_offer.reserved == PROD
        # A task of prod uses the reservation: nothing unreserved is taken.
        spec = TaskSpec("t1", "t1", Resources(1, 512), "busybox")
        # (The rest is refused for the default 5 s: not offered again meanwhile.)
        await m.master.framework_calls.accept(prod, [prod_offer.offer_id], [spec], None)
        agent = m.master.state.agents[agent_id]
        assert agent.held == {"prod": Resources(1, 512)}
        assert m.master.state.role_consumption()["prod"] == PROD
        # batch declines and is offered the unreserved part again, never more.
        m.master.framework_calls.decline(batch, [batch_offer.offer_id], 0.0)
        m.cycle()
        again = await _offer(batch_events)
        assert again.resources.without_ports() == Resources(2, 2048)


async def test_reserve_and_unreserve_through_accept_and_after_a_restart(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m, Resources(4, 4096))
        prod, events = await _subscribe(m, "prod")
        offer = await _offer(events)
        want = Resources(1, 1024)
        spec = TaskSpec("t1", "t1", Resources(0.5, 256), "busybox")
        await m.master.framework_calls.accept(
            prod, [offer.offer_id], [spec], 0.0, [ReservationChange("", want)]
        )
        agent = m.master.state.agents[agent_id]
        assert agent.dynamic_reserved == {"prod": want}
        again = await _offer(events)
        # The task launched with the reservation uses it first: the offer
        # that follows carries what is left of it.
        assert again.reserved == Resources(0.5, 768)
        assert again.resources.without_ports() == Resources(3.5, 3840)
        assert agent.held == {"prod": Resources(4, 4096)}
        m.master.framework_calls.decline(prod, [again.offer_id], 60.0)
        assert agent.held == {"prod": Resources(0.5, 256)}
    async with in_process_master(tmp_path) as m:
        agent = m.master.state.agents[agent_id]
        assert agent.dynamic_reserved == {"prod": want}
        assert agent.held == {"prod": Resources(0.5, 256)}
        # The agent comes back (without static reservations): still there.
        link: Outbox[AgentCommand] = Outbox()
        await m.master.agent_calls.register(agent_id, "host", Resources(4, 4096), [], link)
        assert agent.reserved == {"prod": want}
        # Its framework too; it is offered what is left of the reservation.
        fw_link: Outbox[FrameworkEvent] = Outbox()
        fw_events = Stream(fw_link)
        await m.master.framework_calls.subscribe(prod, "prod", "prod", "user", 0.0, fw_link)
        offer = await _offer(fw_events)
        # The agent came back without the task (it is LOST): all of it is free.
        assert offer.reserved == want


@pytest.mark.parametrize(
    ("changes", "kind", "says"),
    [
        ([ReservationChange("batch", Resources(1, 64))], ErrorKind.PERMISSION_DENIED, "own role"),
        ([ReservationChange("", Resources(9, 64))], ErrorKind.INVALID_ARGUMENT, "unreserved part"),
        ([ReservationChange("", Resources())], ErrorKind.INVALID_ARGUMENT, "empty"),
        (
            [ReservationChange("", Resources(1, 64, ports=((31000, 31000),)))],
            ErrorKind.INVALID_ARGUMENT,
            "ports cannot be reserved",
        ),
        (
            [ReservationChange("", Resources(3, 64), unreserve=True)],
            ErrorKind.INVALID_ARGUMENT,
            "reserved part",
        ),
        (
            [ReservationChange("", PROD, unreserve=True)],
            ErrorKind.INVALID_ARGUMENT,
            "static reservations",
        ),
    ],
)
async def test_bad_operations_are_refused_and_change_nothing(
    tmp_path: Path, changes: list[ReservationChange], kind: ErrorKind, says: str
) -> None:
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m, Resources(4, 4096), {"prod": PROD})
        prod, events = await _subscribe(m, "prod")
        offer = await _offer(events)
        with pytest.raises(MasterError) as refused:
            await m.master.framework_calls.accept(prod, [offer.offer_id], [], 0.0, changes)
        assert refused.value.kind is kind
        assert says in str(refused.value)
        agent = m.master.state.agents[agent_id]
        assert agent.reserved == {"prod": PROD} and agent.dynamic_reserved == {}
        assert offer.offer_id in m.master.state.offers


async def test_a_framework_of_role_star_cannot_reserve(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        await _agent(m, Resources(4, 4096))
        fw, events = await m.subscribe()
        offer = await _offer(events)
        with pytest.raises(MasterError, match="unreserved role"):
            await m.master.framework_calls.accept(
                fw, [offer.offer_id], [], 0.0, [ReservationChange("", Resources(1, 64))]
            )


async def test_unreserve_gives_back_what_an_offer_says_is_reserved(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m, Resources(4, 4096))
        await m.master.reservation_calls.reserve(agent_id, "prod", Resources(2, 1024))
        prod, events = await _subscribe(m, "prod")
        offer = await _offer(events)
        assert offer.reserved == Resources(2, 1024)
        await m.master.framework_calls.accept(
            prod,
            [offer.offer_id],
            [],
            0.0,
            [ReservationChange("prod", Resources(1, 1024), unreserve=True)],
        )
        agent = m.master.state.agents[agent_id]
        assert agent.dynamic_reserved == {"prod": Resources(1, 0)}
        again = await _offer(events)
        assert again.reserved == Resources(1, 0)


async def test_operator_reserve_and_unreserve_with_their_refusals(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m, Resources(4, 4096), {"prod": PROD})
        calls = m.master.reservation_calls
        batch, events = await _subscribe(m, "batch")
        offer = await _offer(events)
        spec = TaskSpec("t1", "t1", Resources(1, 1024), "busybox")
        await m.master.framework_calls.accept(batch, [offer.offer_id], [spec], 0.0)
        with pytest.raises(MasterError, match="less than"):
            await calls.reserve(agent_id, "prod", Resources(2, 64))  # 1 cpu is free
        with pytest.raises(MasterError, match="unreserved role"):
            await calls.reserve(agent_id, "*", Resources(1, 64))
        with pytest.raises(MasterError) as unknown:
            await calls.reserve("agent-none", "prod", Resources(1, 64))
        assert unknown.value.kind is ErrorKind.NOT_FOUND
        agent = await calls.reserve(agent_id, "prod", Resources(1, 1024))
        assert agent.reserved == {"prod": Resources(3, 3072)}
        assert offer.offer_id not in m.master.state.offers
        with pytest.raises(MasterError, match="static reservations"):
            await calls.unreserve(agent_id, "prod", Resources(2, 64))
        [view] = calls.view()
        assert (view.role, view.reserved, view.dynamic) == (
            "prod",
            Resources(3, 3072),
            Resources(1, 1024),
        )
        await calls.unreserve(agent_id, "prod", Resources(1, 1024))
        assert agent.reserved == {"prod": PROD} and agent.dynamic_reserved == {}


async def test_reservations_beyond_the_total_are_refused_at_registration(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        with pytest.raises(MasterError, match="exceed the agent's total"):
            await _agent(m, Resources(1, 1024), {"prod": PROD})
        with pytest.raises(MasterError, match="unreserved role"):
            await _agent(m, Resources(4, 4096), {"*": PROD})


async def test_an_atomic_accept_many_unreserving_one_reservation_twice_is_refused_whole(
    tmp_path: Path,
) -> None:
    """Two entries each unreserving 0.8 of a dynamic reservation of 1 (beside
    a static one of 1, so that two offers can carry reserved parts): each
    fits alone, not both; the atomic call changes nothing. The two offers are
    placed by hand: cycles seldom cut a role's reservation into two offers
    to one framework."""
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m, Resources(4, 4096), {"prod": Resources(1, 512)})
        await m.master.reservation_calls.reserve(agent_id, "prod", Resources(1, 512))
        prod, events = await _subscribe(m, "prod")
        whole = await _offer(events)
        m.master.framework_calls.decline(prod, [whole.offer_id], 3600.0)
        part = Resources(0.8, 64)
        offers = [
            Offer(f"hand-{n}", prod, agent_id, "host", part, m.clock(), reserved=part)
            for n in (1, 2)
        ]
        for offer in offers:
            m.master.state.add_offer(offer)
        unreserve = [ReservationChange("", part, unreserve=True)]
        outcomes = await m.master.framework_calls.accept_many(
            prod, [Acceptance([o.offer_id], [], 0.0, unreserve) for o in offers], atomic=True
        )
        assert isinstance(outcomes[0], MasterError) and outcomes[0].kind is ErrorKind.ABORTED
        assert isinstance(outcomes[1], MasterError)
        assert "dynamic reservation" in str(outcomes[1])
        agent = m.master.state.agents[agent_id]
        assert agent.dynamic_reserved == {"prod": Resources(1, 512)}
        assert all(o.offer_id in m.master.state.offers for o in offers)
        # Not atomic, the first is taken and the second refused, as each alone.
        outcomes = await m.master.framework_calls.accept_many(
            prod, [Acceptance([o.offer_id], [], 0.0, unreserve) for o in offers]
        )
        assert outcomes[0] == [] and isinstance(outcomes[1], MasterError)
        assert agent.dynamic_reserved == {"prod": Resources(0.2, 448)}
