"""Revocable offers: the agents' slack, lent to frameworks that accept it.

Pure, and apart from `allocate` on purpose: revocable resources are not
part of any agent's free amount, so they count in no DRF share of the
main allocation and in no quota (as Mesos's revocable resources). Among
frameworks accepting them, each agent's lendable amount goes whole to the
one holding the least revocable resources (DRF over the revocable pool,
the same sorter policy), recorded at once so the next agent sees it.

What an agent may lend is its reported slack less what its revocable
tasks hold and what outstanding revocable offers carry, never negative:
so revocable tasks on an agent never hold more than its slack as last
reported. When the slack shrinks below what they hold, nothing more is
offered there and the agent preempts (agent/slack.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from master.allocator.allocator import is_allocatable
from master.allocator.sorter import DRFSorter, Sorter
from offer.resources import Resources

_NOTHING = Resources()


def _clipped(amount: Resources) -> Resources:
    return Resources(max(0.0, round(amount.cpus, 3)), max(0.0, round(amount.mem, 1)))


@dataclass(frozen=True, slots=True)
class RevocableSlot:
    """One agent's revocable pool: cpus and mem only."""

    agent_id: str
    # The slack its agent last reported (UsageReport.revocable_slack).
    slack: Resources
    # What its live revocable tasks were launched with.
    held: Resources = _NOTHING
    # What its outstanding offers' revocable parts carry.
    offered: Resources = _NOTHING

    @property
    def lendable(self) -> Resources:
        """slack - held - offered, each dimension at least zero."""
        return _clipped(self.slack - self.held - self.offered)


@dataclass(frozen=True, slots=True)
class RevocableDemand:
    """A connected framework that accepts revocable resources."""

    framework_id: str
    # Its revocable tasks and revocable offer parts, cluster-wide.
    held: Resources = _NOTHING
    suppressed: bool = False
    last_offered: float = 0.0


@dataclass(frozen=True, slots=True)
class RevocablePlan:
    framework_id: str
    agent_id: str
    revocable: Resources


@dataclass(frozen=True, slots=True)
class RevocableInput:
    slots: Sequence[RevocableSlot]
    frameworks: Sequence[RevocableDemand]
    now: float
    # As AllocationInput.refusals: (framework_id, agent_id) -> (until, amount).
    refusals: Mapping[tuple[str, str], tuple[float, Resources]] = field(default_factory=dict)


def allocate_revocable(
    view: RevocableInput, make_sorter: Callable[[Resources], Sorter] = DRFSorter
) -> list[RevocablePlan]:
    """At most one revocable offer per agent: its whole lendable amount, to
    the first framework in DRF order over the revocable pool that neither
    is suppressed nor refused that agent's amount."""
    pool = Resources()
    for slot in view.slots:
        pool = pool + _clipped(slot.slack)
    sorter = make_sorter(pool)
    wanting: set[str] = set()
    for fw in view.frameworks:
        sorter.add(fw.framework_id, fw.held, 1.0, fw.last_offered)
        if not fw.suppressed:
            wanting.add(fw.framework_id)
    plans: list[RevocablePlan] = []
    if not wanting:
        return plans
    for slot in view.slots:
        amount = slot.lendable
        if not is_allocatable(amount):
            continue
        for framework_id in sorter.sorted():
            if framework_id in wanting and not _refused(view, framework_id, slot.agent_id, amount):
                sorter.allocate(framework_id, amount)
                plans.append(RevocablePlan(framework_id, slot.agent_id, amount))
                break
    return plans


def _refused(view: RevocableInput, framework_id: str, agent_id: str, amount: Resources) -> bool:
    refusal = view.refusals.get((framework_id, agent_id))
    if refusal is None:
        return False
    until, refused = refusal
    return until > view.now and refused.contains(amount)
