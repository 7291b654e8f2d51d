"""offer-batch's placement (issue 28): a run's tasks are packed by default,
and spread over agents with `placement: spread`. The scheduler in-process
with its real store; the test plays the master."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from frameworks.batch.scheduler import BatchScheduler
from frameworks.batch.spec import JobSpec, parse_job
from frameworks.batch.store import BatchStore
from frameworks.checks import SpecError
from offer.clock import ManualClock
from tests.frameworks.fakes import FakeDriver, offer


async def launched_per_host(tmp_path: Path, placement: str) -> dict[str, int]:
    clock, driver = ManualClock(1_700_000_000.0), FakeDriver()
    scheduler = BatchScheduler(BatchStore(f"sqlite:///{tmp_path / 'b.db'}"), clock)
    await scheduler.load()
    await scheduler.subscribed(driver, "fw-1")
    job = JobSpec(
        name="crunch",
        image="img",
        cmd="true",
        cpus=0.5,
        completions=4,
        parallelism=4,
        placement=placement,  # type: ignore[arg-type]
    )
    await scheduler.submit([job])
    await scheduler.run_now("crunch")
    offers = [offer(cpus=4, host="h1"), offer(cpus=4, host="h2")]
    await scheduler.offers(driver, offers)
    host_of = {o.offer_id: o.hostname for o in offers}
    return dict(Counter(host_of[o] for o in driver.on_offer.values()))


async def test_a_run_is_packed_by_default(tmp_path: Path) -> None:
    assert await launched_per_host(tmp_path, "binpack") == {"h1": 4}


async def test_a_run_with_placement_spread_is_spread(tmp_path: Path) -> None:
    assert await launched_per_host(tmp_path, "spread") == {"h1": 2, "h2": 2}


def test_placement_is_binpack_unless_said() -> None:
    assert parse_job({"name": "j", "image": "img"}).placement == "binpack"
    assert parse_job({"name": "j", "image": "img", "placement": "spread"}).placement == "spread"
    with pytest.raises(SpecError, match="placement"):
        parse_job({"name": "j", "image": "img", "placement": "random"})
