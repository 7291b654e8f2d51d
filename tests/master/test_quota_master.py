"""Quota in a real master (in-process, ManualClock) and a real store:
set, refused, removed, recovered, and heeded by the allocation cycles."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from master.allocator import Quota
from master.errors import ErrorKind, MasterError
from master.messages import FrameworkEvent, OffersMade
from master.state_metrics import MasterStateCollector
from master.store import StateStore
from offer.outbox import Outbox
from offer.resources import Resources
from tests.support.inprocess import InProcessMaster, Stream, in_process_master


async def _subscribe(m: InProcessMaster, role: str) -> tuple[str, Stream[FrameworkEvent]]:
    link: Outbox[FrameworkEvent] = Outbox()
    stream = Stream(link)
    fw = await m.master.framework_calls.subscribe("", role, role, "user", 0.0, link)
    return fw.framework_id, stream


async def test_a_quota_is_stored_and_comes_back_removed_or_not(db_url: str) -> None:
    store = StateStore(db_url)
    await store.start()
    prod = Quota.of({"cpus": 4, "mem": 4096}, {"cpus": 8})
    await store.write(quotas={"prod": prod, "batch": Quota.of({}, {"mem": 100})})
    await store.write(quotas={"batch": None})
    await store.close()
    reopened = StateStore(db_url)
    snap = reopened.load()
    assert snap.quotas == {"prod": prod}
    assert snap.quotas["prod"].limits == {"cpus": 8.0}
    await reopened.start()
    await reopened.close()


@pytest.mark.parametrize(
    ("role", "guarantees", "limits", "says"),
    [
        ("", {"cpus": 1.0}, {}, "needs a role"),
        ("no spaces", {"cpus": 1.0}, {}, "malformed"),
        ("prod", {"ports": 1.0}, {}, "ports"),
        ("prod", {"cpus": -2.0}, {}, ">= 0"),
        ("prod", {"cpus": 2.0}, {"cpus": 1.0}, "below its guarantee"),
        ("prod", {}, {}, "neither a guarantee nor a limit"),
    ],
)
async def test_a_bad_quota_is_refused_and_changes_nothing(
    tmp_path: Path, role: str, guarantees: dict[str, float], limits: dict[str, float], says: str
) -> None:
    async with in_process_master(tmp_path) as m:
        with pytest.raises(MasterError) as refused:
            await m.master.quota_calls.set(role, guarantees, limits)
        assert refused.value.kind is ErrorKind.INVALID_ARGUMENT
        assert says in str(refused.value)
        assert m.master.state.quotas == {}


async def test_removing_a_quota_a_role_does_not_have_is_not_found(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        with pytest.raises(MasterError) as refused:
            await m.master.quota_calls.remove("prod")
        assert refused.value.kind is ErrorKind.NOT_FOUND


async def test_the_master_holds_headroom_back_and_recovers_the_quota(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        await m.master.quota_calls.set("prod", {"cpus": 2, "mem": 1024}, {})
        for _ in range(3):
            await m.add_agent(Resources(2, 1024))
        batch, events = await _subscribe(m, "batch")
        made = await events.next(OffersMade)
        m.cycle()
        offered = m.master.state.frameworks[batch].offered
        assert offered == Resources(4, 2048)  # one agent's worth held back for prod
        [stand] = m.master.quota_calls.view()
        assert stand.held_back == Resources(2, 1024)
        assert m.master.state.offerable_free() == Resources(2, 1024)
        _, prod_events = await _subscribe(m, "prod")
        got = await prod_events.next(OffersMade)
        assert sum((o.resources for o in got.offers), Resources()).without_ports() == Resources(
            2, 1024
        )
        assert made.offers
    async with in_process_master(tmp_path) as again:
        assert again.master.state.quotas == {"prod": Quota.of({"cpus": 2, "mem": 1024}, {})}


async def test_quota_gauges_say_guarantee_limit_and_what_is_held_back(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        registry = CollectorRegistry()
        registry.register(MasterStateCollector(m.master))
        await m.master.quota_calls.set("prod", {"cpus": 2, "mem": 1024}, {"cpus": 4})
        await m.add_agent(Resources(4, 4096))
        text = generate_latest(registry).decode()
        samples = {
            (s.name, s.labels.get("resource"), s.labels.get("role")): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        assert samples[("offer_master_quota_guarantee", "cpus", "prod")] == 2
        assert samples[("offer_master_quota_guarantee", "mem", "prod")] == 1024 * 2**20
        assert ("offer_master_quota_guarantee", "disk", "prod") not in samples
        assert samples[("offer_master_quota_limit", "cpus", "prod")] == 4
        assert ("offer_master_quota_limit", "mem", "prod") not in samples
        assert samples[("offer_master_quota_held_back", "cpus", "prod")] == 2
        # Its framework comes and is offered its guarantee: nothing is held back.
        _, events = await _subscribe(m, "prod")
        await events.next(OffersMade)
        text = generate_latest(registry).decode()
        held = {
            s.labels["resource"]: s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "offer_master_quota_held_back"
        }
        assert held == {"cpus": 0, "mem": 0, "disk": 0}
