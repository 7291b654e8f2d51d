"""The allocator alone, no master and no network (as Mesos's
hierarchical_allocator_benchmarks): time of one allocation cycle, without
and with quotas (a guaranteed role owed a tenth of the cluster and with no
framework, so that its headroom is held back, and a limited role); and
the revocable pass that follows it (master.allocator.revocable) with every
agent lending slack."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.reference_sorter import ResortingDRFSorter
from master.allocator import (
    AgentSlot,
    AllocationInput,
    DRFSorter,
    FrameworkDemand,
    Quota,
    allocate,
)
from master.allocator.revocable import (
    RevocableDemand,
    RevocableInput,
    RevocableSlot,
    allocate_revocable,
)
from offer.resources import Resources

AGENT = Resources(16, 64 * 1024)


@dataclass(frozen=True)
class AllocatorResult:
    agents: int
    frameworks: int
    scenario: str
    seconds: float  # median cycle time, shipped sorter
    reference_seconds: float  # the same cycle with the re-sorting reference sorter
    offers: int


def cycle_input(
    agents: int, frameworks: int, free_fraction: float, seed: int = 1, quota: bool = False
) -> AllocationInput:
    """`free_fraction` of the agents have all their resources free; the rest
    are fully used. Frameworks hold random small allocations in 4 roles.
    With `quota`, role "prod" (no framework) is guaranteed a tenth of the
    cluster, and role1 limited to a twentieth: every offer is then cut."""
    rng = random.Random(seed)
    slots = [
        AgentSlot(f"a{i}", AGENT if rng.random() < free_fraction else Resources())
        for i in range(agents)
    ]
    demands = [
        FrameworkDemand(
            f"f{j}", f"role{j % 4}", Resources(rng.randint(0, 64), rng.randint(0, 4096))
        )
        for j in range(frameworks)
    ]
    total = Resources(AGENT.cpus * agents, AGENT.mem * agents)
    if not quota:
        return AllocationInput(slots, demands, total=total, now=0.0)
    quotas = {
        "prod": Quota.of({"cpus": total.cpus / 10, "mem": total.mem / 10}, {}),
        "role1": Quota.of({}, {"cpus": total.cpus / 20}),
    }
    consumption: dict[str, Resources] = {}
    for d in demands:
        consumption[d.role] = consumption.get(d.role, Resources()) + d.allocated
    available = sum((s.available for s in slots), Resources())
    return AllocationInput(
        slots,
        demands,
        total=total,
        now=0.0,
        quotas=quotas,
        consumption=consumption,
        available=available,
    )


def _median(cycle: Callable[[], int], repeat: int) -> tuple[float, int]:
    """The median time of `repeat` runs of `cycle`, and the offers it makes."""
    times, offers = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        offers = cycle()
        times.append(time.perf_counter() - start)
    return statistics.median(times), offers


def _median_cycle(view: AllocationInput, repeat: int, make_sorter: object) -> tuple[float, int]:
    return _median(lambda: len(allocate(view, make_sorter)), repeat)  # type: ignore[arg-type]


def measure(
    agents: int, frameworks: int, free_fraction: float, repeat: int, quota: bool = False
) -> AllocatorResult:
    view = cycle_input(agents, frameworks, free_fraction, quota=quota)
    seconds, offers = _median_cycle(view, repeat, DRFSorter)
    reference, reference_offers = _median_cycle(view, max(1, repeat // 2), ResortingDRFSorter)
    assert offers == reference_offers  # same policy, same decisions
    scenario = "all agents free" if free_fraction == 1 else f"{free_fraction:.0%} of agents free"
    if quota:
        scenario += ", quotas"
    return AllocatorResult(agents, frameworks, scenario, seconds, reference, offers)


def measure_revocable(agents: int, frameworks: int, repeat: int) -> AllocatorResult:
    """The revocable pass with every agent lending a quarter of its
    resources and every framework accepting them, some already borrowing."""
    rng = random.Random(1)
    lent = Resources(AGENT.cpus / 4, AGENT.mem / 4)
    view = RevocableInput(
        [RevocableSlot(f"a{i}", lent) for i in range(agents)],
        [
            RevocableDemand(f"f{j}", Resources(rng.randint(0, 8), rng.randint(0, 1024)))
            for j in range(frameworks)
        ],
        now=0.0,
    )

    seconds, offers = _median(lambda: len(allocate_revocable(view, DRFSorter)), repeat)
    reference, reference_offers = _median(
        lambda: len(allocate_revocable(view, ResortingDRFSorter)), repeat
    )
    assert offers == reference_offers
    return AllocatorResult(
        agents, frameworks, "revocable pass, all agents lend", seconds, reference, offers
    )


def run(quick: bool) -> list[AllocatorResult]:
    sizes = [(1000, 10), (1000, 100), (10000, 10), (10000, 100)]
    if not quick:
        sizes.append((10000, 1000))
    results = []
    for agents, frameworks in sizes:
        repeat = 3 if agents * frameworks >= 1_000_000 else 5
        for free in (1.0, 0.1):
            results.append(measure(agents, frameworks, free, repeat))
            if agents == 10000 and frameworks == 100:
                results.append(measure(agents, frameworks, free, repeat, quota=True))
        if agents == 10000 and frameworks == 100:
            results.append(measure_revocable(agents, frameworks, repeat))
    return results


if __name__ == "__main__":
    for r in run(quick=True):
        print(
            f"{r.agents:>6} agents {r.frameworks:>5} frameworks  {r.scenario:<30} "
            f"{r.seconds * 1000:8.1f} ms  (reference {r.reference_seconds * 1000:.1f} ms)"
        )
