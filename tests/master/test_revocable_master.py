"""Revocable resources in a real master (in-process, ManualClock) with a real
store: an agent's reported slack offered as Offer.revocable to frameworks
that accept it, revocable launches checked against it and kept out of
allocations, offers taken back when the slack shrinks, and the flag
recovered after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from master.cluster import Offer
from master.errors import ErrorKind, MasterError
from master.messages import AgentCommand, FrameworkEvent, OfferRescinded, OffersMade
from master.validation import check_tasks
from offer.outbox import Outbox
from offer.resources import Resources, Usage
from offer.tasks import TaskSpec, TaskState, TaskStatus
from tests.support.inprocess import InProcessMaster, Stream, in_process_master

TOTAL = Resources(4, 4096)


async def _agent(m: InProcessMaster) -> str:
    link: Outbox[AgentCommand] = Outbox()
    agent = await m.master.agent_calls.register("", "host", TOTAL, [], link)
    return agent.agent_id


async def _subscribe(
    m: InProcessMaster, name: str, accepts_revocable: bool
) -> tuple[str, Stream[FrameworkEvent]]:
    link: Outbox[FrameworkEvent] = Outbox()
    fw = await m.master.framework_calls.subscribe(
        "", name, "*", "user", 0.0, link, accepts_revocable=accepts_revocable
    )
    return fw.framework_id, Stream(link)


async def _offer(events: Stream[FrameworkEvent]) -> Offer:
    made = await events.next(OffersMade)
    [offer] = made.offers
    return offer


def _report(m: InProcessMaster, agent_id: str, slack: Resources) -> None:
    m.master.agent_calls.record_usage(agent_id, Usage(0.1, 100, 0), {}, slack)


def spec(task_id: str, cpus: float, mem: float, revocable: bool = False) -> TaskSpec:
    return TaskSpec(task_id, task_id, Resources(cpus, mem), "busybox", revocable=revocable)


async def _service(m: InProcessMaster, agent_id: str) -> str:
    """A framework that takes 3 cpus and 3072 MiB with one task, and
    declines the rest for long: what the slack is lent from."""
    service, events = await _subscribe(m, "service", accepts_revocable=False)
    offer = await _offer(events)
    assert offer.agent_id == agent_id
    await m.master.framework_calls.accept(service, [offer.offer_id], [spec("svc", 3, 3072)], 3600.0)
    return service


async def test_slack_is_offered_as_revocable_and_lent_apart_from_allocations(
    tmp_path: Path,
) -> None:
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m)
        await _service(m, agent_id)
        batch, events = await _subscribe(m, "batch", accepts_revocable=True)
        ordinary = await _offer(events)
        assert ordinary.revocable == Resources()
        assert ordinary.resources.without_ports() == Resources(1, 1024)
        # The agent reports what the service leaves unused: it is offered,
        # with the ordinary offer already out, as an offer of its own.
        _report(m, agent_id, Resources(2, 2000))
        lent = await _offer(events)
        assert lent.agent_id == agent_id
        assert lent.revocable == Resources(2, 2000)
        assert lent.resources == Resources()
        # A revocable task uses the revocable part; an unmarked one may not.
        with pytest.raises(MasterError) as err:
            await m.master.framework_calls.accept(
                batch, [lent.offer_id], [spec("b1", 1.5, 512)], 0.0
            )
        assert err.value.kind is ErrorKind.INVALID_ARGUMENT
        assert "need more than the offers hold" in str(err.value)
        with pytest.raises(MasterError) as err:
            await m.master.framework_calls.accept(
                batch, [lent.offer_id], [spec("b1", 2.5, 512, revocable=True)], 0.0
            )
        assert "revocable part" in str(err.value)
        await m.master.framework_calls.accept(
            batch, [lent.offer_id], [spec("b1", 1.5, 512, revocable=True)], 0.0
        )
        agent = m.master.state.agents[agent_id]
        fw = m.master.state.frameworks[batch]
        assert agent.revocable_held == Resources(1.5, 512)
        assert agent.allocated.without_ports() == Resources(3, 3072)
        # What is left of the slack is lent again at once; the ordinary part
        # is untouched.
        again = await _offer(events)
        assert again.revocable == Resources(0.5, 1488)
        assert fw.allocated == Resources()
        assert fw.revocable == Resources(2, 2000)
        m.master.framework_calls.decline(batch, [again.offer_id], 60.0)
        assert fw.revocable == Resources(1.5, 512)
        # The revocable task ends: its loan is back, never having been allocated.
        done = TaskStatus("b1", batch, agent_id, TaskState.FINISHED)
        await m.master.agent_calls.status_updates(agent_id, [done])
        assert agent.revocable_held == Resources()
        assert agent.allocated.without_ports() == Resources(3, 3072)
        # More than was declined is lendable now: offered, the refusal
        # notwithstanding, and all of it.
        whole = await _offer(events)
        assert whole.revocable == Resources(2, 2000)
        assert fw.revocable == Resources(2, 2000)


async def test_only_frameworks_that_accept_revocable_are_lent_anything(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m)
        service = await _service(m, agent_id)
        _report(m, agent_id, Resources(2, 2000))
        m.cycle()
        assert all(o.revocable == Resources() for o in m.master.state.offers.values())
        # Even given an offer id, a task marked revocable is refused with why.
        other, events = await _subscribe(m, "other", accepts_revocable=False)
        offer = await _offer(events)
        with pytest.raises(MasterError) as err:
            await m.master.framework_calls.accept(
                other, [offer.offer_id], [spec("r", 0.5, 64, revocable=True)], 0.0
            )
        assert "accepts_revocable" in str(err.value)
        del service


async def test_shrinking_slack_rescinds_revocable_offers(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m)
        await _service(m, agent_id)
        batch, events = await _subscribe(m, "batch", accepts_revocable=True)
        await _offer(events)  # the ordinary rest
        _report(m, agent_id, Resources(2, 2000))
        lent = await _offer(events)
        # The service's use rose: less is left to lend than is on offer.
        _report(m, agent_id, Resources(0.5, 2000))
        gone = await events.next(OfferRescinded)
        assert gone.offer_id == lent.offer_id
        # What is still lendable is offered again, no more.
        smaller = await _offer(events)
        assert smaller.revocable == Resources(0.5, 2000)
        assert m.master.state.agents[agent_id].revocable_offered == Resources(0.5, 2000)
        del batch


async def test_a_garbled_slack_lends_nothing(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m)
        _report(m, agent_id, Resources(float("nan"), 100))
        assert m.master.state.agents[agent_id].slack == Resources()
        # More than the agent has is cut to what it has.
        _report(m, agent_id, Resources(64, 1e9))
        assert m.master.state.agents[agent_id].slack == Resources(4, 4096)


async def test_a_revocable_task_is_recovered_as_revocable(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        agent_id = await _agent(m)
        await _service(m, agent_id)
        batch, events = await _subscribe(m, "batch", accepts_revocable=True)
        await _offer(events)
        _report(m, agent_id, Resources(2, 2000))
        lent = await _offer(events)
        await m.master.framework_calls.accept(
            batch, [lent.offer_id], [spec("b1", 1, 512, revocable=True)], 0.0
        )
    async with in_process_master(tmp_path) as m:
        agent = m.master.state.agents[agent_id]
        fw = m.master.state.frameworks[batch]
        assert m.master.state.tasks[(batch, "b1")].revocable
        assert agent.revocable_held == Resources(1, 512)
        assert agent.allocated.without_ports() == Resources(3, 3072)
        assert fw.allocated == Resources() and fw.revocable == Resources(1, 512)


@pytest.mark.parametrize(
    ("task", "lent", "says"),
    [
        (spec("r", 1, 64, revocable=True), None, "accepts_revocable"),
        (spec("r", 3, 64, revocable=True), Resources(2, 2000), "revocable part"),
        (
            TaskSpec("r", "r", Resources(1, 64, 10), "busybox", revocable=True),
            Resources(2, 2000, 100),
            "cpus and mem only",
        ),
        (spec("r", 2, 2000, revocable=True), Resources(2, 2000), None),
        # Unmarked tasks are checked against the ordinary part alone.
        (spec("r", 1, 64), Resources(8, 8000), "need more than the offers hold"),
    ],
)
def test_launch_checks(task: TaskSpec, lent: Resources | None, says: str | None) -> None:
    problem = check_tasks([task], Resources(0.5, 64), revocable=lent)
    if says is None:
        assert problem is None
    else:
        assert problem is not None and says in problem
