"""The master's timeouts, on a real in-process master driven by a manual
clock: time moves only when the test says so, and what a timeout does is
awaited as the messages it sends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from master.messages import AgentFailed, KillTask, OfferRescinded, OffersMade, StatusChanged
from offer.resources import Resources
from offer.tasks import StatusReason, TaskState
from tests.support.inprocess import InProcessMaster, in_process_master


@pytest.fixture
async def m(tmp_path: Path) -> AsyncIterator[InProcessMaster]:
    async with in_process_master(tmp_path) as master:
        yield master


async def test_an_offer_not_answered_within_the_offer_timeout_is_rescinded(
    m: InProcessMaster,
) -> None:
    await m.add_agent()
    _, events = await m.subscribe()
    offer = await m.next_offer(events)
    await m.clock.advance(m.config.offer_timeout - 1)
    assert offer.offer_id in m.master.state.offers

    await m.clock.advance(1)
    rescinded = await events.next(OfferRescinded)
    assert rescinded.offer_id == offer.offer_id
    again = await m.next_offer(events)  # its resources come back in a new offer
    assert (again.agent_id, again.resources) == (offer.agent_id, offer.resources)
    assert again.offer_id != offer.offer_id


async def test_an_agent_away_longer_than_the_agent_timeout_is_lost(m: InProcessMaster) -> None:
    agent_id, agent = await m.add_agent()
    fid, events = await m.subscribe()
    task_id = await m.launch(fid, events, agent)
    m.master.agent_calls.disconnected(agent_id, agent.link)
    await m.clock.advance(m.config.agent_timeout - 1)
    assert m.master.state.agents[agent_id].status == "disconnected"

    await m.clock.advance(1)
    assert (await events.next(AgentFailed)).agent_id == agent_id
    lost = await events.next(StatusChanged, lambda e: e.status.task_id == task_id)
    assert (lost.status.state, lost.status.reason) == (TaskState.LOST, StatusReason.AGENT_LOST)
    assert m.master.state.agents[agent_id].status == "lost"


async def test_a_framework_away_longer_than_its_failover_timeout_is_removed(
    m: InProcessMaster,
) -> None:
    _, agent = await m.add_agent()
    fid, events = await m.subscribe(failover_timeout=30)
    task_id = await m.launch(fid, events, agent)
    m.master.framework_calls.disconnected(fid, events.link)
    await m.clock.advance(29)
    assert not m.master.state.frameworks[fid].removed
    assert await agent.waiting(KillTask) == []

    await m.clock.advance(1)
    kill = await agent.next(KillTask)
    assert (kill.task_id, kill.reason) == (task_id, StatusReason.FRAMEWORK_REMOVED)
    assert m.master.state.frameworks[fid].removed


async def test_a_drain_deadline_kills_the_agents_tasks(m: InProcessMaster) -> None:
    agent_id, agent = await m.add_agent()
    fid, events = await m.subscribe()
    task_id = await m.launch(fid, events, agent)
    await m.master.agent_calls.drain(agent_id, 30)
    await m.clock.advance(29)
    assert await agent.waiting(KillTask) == []

    await m.clock.advance(1)
    kill = await agent.next(KillTask)
    assert (kill.task_id, kill.reason) == (task_id, StatusReason.AGENT_DRAINED)


async def test_a_refusal_expires_after_refuse_seconds_and_the_agent_is_offered_again(
    m: InProcessMaster,
) -> None:
    agent_id, _ = await m.add_agent()
    fid, events = await m.subscribe()
    offer = await m.next_offer(events)
    m.master.framework_calls.decline(fid, [offer.offer_id], refuse_seconds=5)
    await m.clock.advance(4.9)
    m.cycle()
    assert m.master.offers_view(fid) == []
    assert await events.waiting(OffersMade) == []

    await m.clock.advance(1.1)  # past the first allocation interval after it expired
    again = await m.next_offer(events)
    assert (again.agent_id, again.resources) == (agent_id, offer.resources)


async def test_suppressed_frameworks_get_no_offers_until_they_revive(m: InProcessMaster) -> None:
    await m.add_agent()
    fid, events = await m.subscribe()
    held = await m.next_offer(events)
    m.master.framework_calls.suppress(fid)  # takes back the outstanding offer too
    assert held.offer_id not in m.master.state.offers
    for _ in range(5):  # several allocation intervals
        await m.clock.advance(m.config.allocation_interval)
        m.cycle()
    assert await events.waiting(OffersMade) == []

    m.master.framework_calls.revive(fid)
    assert (await m.next_offer(events)).resources == held.resources


async def test_an_agent_without_its_engine_is_not_offered_until_it_is_back(
    m: InProcessMaster,
) -> None:
    agent_id, _ = await m.add_agent()
    _, events = await m.subscribe()
    held = await m.next_offer(events)
    m.master.agent_calls.engine_changed(agent_id, False, "cannot reach the engine")
    assert (await events.next(OfferRescinded)).offer_id == held.offer_id
    for _ in range(5):
        await m.clock.advance(m.config.allocation_interval)
        m.cycle()
    assert await events.waiting(OffersMade) == []

    m.master.agent_calls.engine_changed(agent_id, True, "")
    assert (await m.next_offer(events)).agent_id == agent_id


async def test_two_frameworks_holding_offers_are_never_promised_more_than_the_agent_has(
    m: InProcessMaster,
) -> None:
    """Both hold every offer they get; the newcomer takes back a share of the
    other's once it is old enough. Cycle after cycle, what is outstanding
    fits in the agent (the invariant checks say the same at every change)."""
    agent_id, _ = await m.add_agent(Resources(2, 1024))
    _, x = await m.subscribe("x")
    _, y = await m.subscribe("y")
    for _ in range(10):
        await m.clock.advance(m.config.allocation_interval)
        m.cycle()
        held = m.master.offers_view(agent_id=agent_id)
        assert sum(o.resources.cpus for o in held) <= 2
        assert sum(o.resources.mem for o in held) <= 1024
    await m.next_offer(x)
    await m.next_offer(y)


async def test_a_decline_naming_an_offer_gone_meanwhile_declines_the_others(
    m: InProcessMaster,
) -> None:
    await m.add_agent()
    fid, events = await m.subscribe()
    offer = await m.next_offer(events)
    # "o-gone": an offer rescinded (or timed out) while the decline was on its way.
    m.master.framework_calls.decline(fid, ["o-gone", offer.offer_id], refuse_seconds=60)
    assert m.master.offers_view(fid) == []
