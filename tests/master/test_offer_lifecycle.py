"""The offer lifecycle (Mesos v1 scheduler semantics) on a real master and
agent. How long filters, timeouts and suppression hold is tested on a
manual clock in test_timers.py; here, that the real processes do it."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from frameworks.sdk import Acceptance, CallRefusedError, Driver, Offer
from offer.tasks import StatusReason, TaskState
from offer.v1 import common_pb2, operator_pb2, operator_pb2_grpc
from tests.support.cluster import Cluster
from tests.support.framework import EVENT_TIMEOUT, Recorder, framework, task


async def test_declined_resources_are_offered_again_once_the_filter_expires(
    running_cluster: Cluster,
) -> None:
    async with framework(running_cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        await driver.decline([offer.offer_id], refuse_seconds=1.0)
        again = await rec.next_offer()
    assert again.agent_id == offer.agent_id
    assert again.offer_id != offer.offer_id


async def test_revive_clears_filters_and_suppress_stops_offers(running_cluster: Cluster) -> None:
    async with framework(running_cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        await driver.decline([offer.offer_id], refuse_seconds=3600)
        await driver.revive()
        revived = await rec.next_offer()  # long before the hour is up
        assert revived.resources == offer.resources

        await driver.suppress()  # takes back the outstanding offer too
        # Declining it after is passed over: it is gone, as the framework wanted.
        await driver.decline([revived.offer_id])
        await driver.revive()
        await rec.next_offer()


async def test_a_resubscription_sets_suppression_from_its_request(
    running_cluster: Cluster,
) -> None:
    """A framework that suppressed and then went away gets offers when it
    subscribes again with its id (as with Mesos's SUBSCRIBE), unless it
    subscribes suppressed; then it gets them once it revives."""
    address = running_cluster.address
    async with framework(address, failover_timeout=60) as (driver, rec):
        await rec.next_offer()
        await driver.suppress()
    framework_id = rec.framework_id
    async with framework(address, framework_id=framework_id) as (_, again):
        await again.next_offer()

    quiet = Recorder()
    driver = Driver(quiet, master=address, framework_id=framework_id, suppressed=True)
    running = asyncio.create_task(driver.run())
    try:
        await asyncio.wait_for(quiet.is_subscribed.wait(), EVENT_TIMEOUT)
        [listed] = [
            f for f in running_cluster.list("frameworks") if f.info.framework_id == framework_id
        ]
        assert listed.suppressed and listed.connected
        assert not quiet.offers_seen
        await driver.revive()
        await quiet.next_offer()
    finally:
        driver.stop()
        await asyncio.wait_for(running, EVENT_TIMEOUT)


async def test_unanswered_offers_time_out_and_are_rescinded(cluster: Cluster) -> None:
    cluster.start_master("--offer-timeout", "0.5")
    cluster.start_agent()
    async with framework(cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        await rec.until(lambda: offer.offer_id in rec.rescinded)
        with pytest.raises(CallRefusedError) as late:
            await driver.accept([offer.offer_id], [task("late")])
        assert late.value.code == "NOT_FOUND"
        fresh = await rec.next_offer()  # the resources come back in a new offer
    assert fresh.offer_id != offer.offer_id
    assert fresh.resources == offer.resources


async def test_a_newcomer_gets_resources_held_in_anothers_offer(running_cluster: Cluster) -> None:
    """The first framework sits on its offer (the timeout is 60 s); the
    second must not wait for that."""
    async with framework(running_cluster.address, name="hoarder") as (_, hoarder):
        held = await hoarder.next_offer()
        async with framework(running_cluster.address, name="newcomer") as (_, newcomer):
            offer = await newcomer.next_offer(timeout=10)
            assert held.offer_id in hoarder.rescinded
    assert offer.agent_id == held.agent_id


async def test_a_framework_declining_everything_does_not_starve_another(
    running_cluster: Cluster,
) -> None:
    class Decliner(Recorder):
        async def offers(self, driver, offers):  # type: ignore[no-untyped-def]
            await driver.decline([o.offer_id for o in offers], refuse_seconds=0)

    async with (
        framework(running_cluster.address, Decliner(), "decliner"),
        framework(running_cluster.address, name="worker") as (driver, worker),
    ):
        await worker.launch(driver, task("work"))
        assert (await worker.until_terminal("work"))[-1].state == TaskState.FINISHED


async def test_reconcile_explicit_and_implicit(running_cluster: Cluster) -> None:
    async with framework(running_cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        await driver.accept([offer.offer_id], [task("long", "sleep 300"), task("short")])
        await rec.until_state("long", TaskState.RUNNING)
        await rec.until_state("short", TaskState.FINISHED)
        before = len(rec.updates)

        await driver.reconcile()  # implicit: every live task
        await rec.until(lambda: len(rec.updates) > before)
        await driver.reconcile(["short", "never-launched"])
        await rec.until(lambda: len(rec.updates) >= before + 3)
        answers = rec.updates[before:]

    assert [(a.task_id, a.state) for a in answers] == [
        ("long", TaskState.RUNNING),
        ("short", TaskState.FINISHED),
        ("never-launched", TaskState.UNKNOWN),
    ]
    assert all(a.reason == StatusReason.RECONCILIATION and a.uuid == "" for a in answers)


async def test_kill_of_unknown_or_ended_task_answers_with_its_state(
    running_cluster: Cluster,
) -> None:
    async with framework(running_cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        await driver.accept([offer.offer_id], [task("done")])
        await rec.until_state("done", TaskState.FINISHED)
        await driver.kill("ghost")
        ghost = await rec.until_state("ghost", TaskState.UNKNOWN)
        before = len(rec.updates)
        await driver.kill("done")
        await rec.until(lambda: len(rec.updates) > before)
    assert ghost.message == "the master does not know this task"
    assert (rec.updates[-1].task_id, rec.updates[-1].state) == ("done", TaskState.FINISHED)


async def test_offers_never_promise_more_than_an_agent_has(running_cluster: Cluster) -> None:
    """Two frameworks that hold every offer they get: once both have been
    offered the agent (the later one by taking back the other's offer), what
    they hold together is no more than its 2 cpus and 1024 MiB. (Cycle after
    cycle on a manual clock: test_timers.py.)"""
    async with (
        framework(running_cluster.address, name="x") as (_, x),
        framework(running_cluster.address, name="y") as (_, y),
    ):
        await x.next_offer()
        await y.next_offer()
        held = _outstanding_offers(running_cluster)
    assert {o.framework_id for o in held} <= {x.framework_id, y.framework_id}
    assert sum(o.resources.cpus for o in held) <= 2
    assert sum(o.resources.mem for o in held) <= 1024


def _outstanding_offers(cluster: Cluster) -> list[common_pb2.Offer]:
    """What the master holds as outstanding, asked through the Operator API
    (a framework may not have read a rescind yet)."""
    with cluster.security.channel(cluster.address) as channel:
        stub = operator_pb2_grpc.OperatorStub(channel)
        listed = stub.ListOffers(operator_pb2.ListOffersRequest(), timeout=5)
        return [summary.offer for summary in listed.offers]


async def test_offers_on_an_agent_that_disconnects_are_rescinded(running_cluster: Cluster) -> None:
    agent = running_cluster.agents[0]
    async with framework(running_cluster.address) as (driver, rec):
        held = await rec.next_offer()
        agent.stop(signal.SIGKILL)  # the stream breaks; the agent is not yet lost
        await rec.until(lambda: held.offer_id in rec.rescinded)
        with pytest.raises(CallRefusedError) as late:
            await driver.accept([held.offer_id], [task("late")])
    assert late.value.code == "NOT_FOUND"
    [listed] = running_cluster.list("agents")
    assert listed.status == "disconnected"


@asynccontextmanager
async def _offers_of_two_agents(
    cluster: Cluster,
) -> AsyncIterator[tuple[Driver, Recorder, Offer, Offer]]:
    """A master, two agents, and a framework holding an offer of each."""
    cluster.start_master()
    cluster.start_agent()
    cluster.start_agent()
    async with framework(cluster.address) as (driver, rec):
        first = await rec.next_offer()
        second = await rec.next_offer()
        assert first.agent_id != second.agent_id
        yield driver, rec, first, second


@pytest.mark.docker  # agents start in _offers_of_two_agents
async def test_accept_many_decides_each_entry_on_its_own(cluster: Cluster) -> None:
    """Offers of two agents answered in one call: a refused entry (an offer
    that is not outstanding, a task too large) changes nothing of the
    others, and the good entries' tasks run."""
    async with _offers_of_two_agents(cluster) as (driver, rec, first, second):
        outcomes = await driver.accept_many(
            [
                Acceptance([first.offer_id], [task("one")]),
                Acceptance(["no-such-offer"], [task("lost")]),
                Acceptance([second.offer_id], [task("huge", cpus=64)]),
                Acceptance([first.offer_id], [task("twice")]),  # already used above
            ]
        )
        assert outcomes[0] is None
        assert [o.code for o in outcomes[1:] if o is not None] == [
            "NOT_FOUND",
            "INVALID_ARGUMENT",
            "NOT_FOUND",
        ]
        assert (await rec.until_terminal("one"))[-1].state == TaskState.FINISHED
        # The refused entry's offer is still outstanding, and usable; a task
        # id used before is a clash (ALREADY_EXISTS), not a malformed entry.
        reused, ok = await driver.accept_many(
            [
                Acceptance([second.offer_id], [task("one")]),
                Acceptance([second.offer_id], [task("two")]),
            ]
        )
        assert reused is not None and reused.code == "ALREADY_EXISTS"
        assert "'one' was already used" in reused.message
        assert ok is None
        assert (await rec.until_terminal("two"))[-1].state == TaskState.FINISHED
        with pytest.raises(CallRefusedError) as again:  # a lone Accept alike
            await rec.launch(driver, task("two"))
        assert again.value.code == "ALREADY_EXISTS"
    assert not any(u.task_id in ("lost", "huge", "twice") for u in rec.updates)


@pytest.mark.docker  # agents start in _offers_of_two_agents
async def test_an_atomic_accept_many_launches_all_or_none(cluster: Cluster) -> None:
    """One bad entry: nothing launches, the good entry answers ABORTED, and
    both offers stay outstanding; the same entries without it all launch."""
    async with _offers_of_two_agents(cluster) as (driver, rec, first, second):
        good = Acceptance([first.offer_id], [task("one")])
        outcomes = await driver.accept_many(
            [good, Acceptance([second.offer_id], [task("huge", cpus=64)])], atomic=True
        )
        assert [o.code if o else "OK" for o in outcomes] == ["ABORTED", "INVALID_ARGUMENT"]
        assert not cluster.list("tasks")
        assert {o.offer_id for o in _outstanding_offers(cluster)} == {
            first.offer_id,
            second.offer_id,
        }
        # An entry clashing with an earlier one (its offer) stops both too.
        clash = await driver.accept_many(
            [good, Acceptance([first.offer_id], [task("two")])], atomic=True
        )
        assert [o.code if o else "OK" for o in clash] == ["ABORTED", "NOT_FOUND"]
        both = await driver.accept_many(
            [good, Acceptance([second.offer_id], [task("two")])], atomic=True
        )
        assert both == [None, None]
        for task_id in ("one", "two"):
            assert (await rec.until_terminal(task_id))[-1].state == TaskState.FINISHED
    assert not any(u.task_id == "huge" for u in rec.updates)
