"""The agent's estimate of its revocable slack, and whom to preempt (pure).

Slack is what non-revocable tasks were allocated but do not use. The agent
lends it out as revocable resources (Mesos's oversubscription), so the
estimate errs on the side of lending too little:

- a fraction of every allocation (`margin`) is kept back, so a task can
  grow that far past its measured use before it competes with a loan;
- the estimate grows slowly (an exponentially weighted step towards the
  latest reading) so a brief dip in use does not become slack, and shrinks
  at once when a reading is lower (use rose, or a task ended);
- memory never exceeds what the machine has free plus what revocable tasks
  already hold, as memory cannot be taken back from a running process
  (CPU is compressible: a busy machine only slows the loans down);
- it is never negative.

When the estimate falls below what revocable tasks hold, or a
non-revocable launch finds the machine without the room the master
promised it, `choose_preemptions` names the revocable tasks to kill:
newest first (they lose the least work), and no more than are needed.
Nothing here does I/O: the agent's usage loop feeds it samples
(agent/usage.py) and acts on its answers (agent/executor.py).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "Amount",
    "RevocableTask",
    "SlackPolicy",
    "TaskUse",
    "choose_preemptions",
    "estimate_slack",
    "launch_shortfall",
    "next_estimate",
    "raw_slack",
    "slack_shortfall",
]


def _cpus(value: float) -> float:
    return round(max(0.0, value), 3)


def _mem(value: float) -> float:
    return round(max(0.0, value), 1)


@dataclass(frozen=True, slots=True)
class Amount:
    """CPU (cores) and memory (MiB): the two dimensions slack is measured in."""

    cpus: float = 0.0
    mem: float = 0.0

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.cpus + other.cpus, self.mem + other.mem)

    def minus_clipped(self, other: Amount) -> Amount:
        """self - other, each dimension at least zero (and rounded, so that
        float noise does not read as a sliver of slack)."""
        return Amount(_cpus(self.cpus - other.cpus), _mem(self.mem - other.mem))

    def covers(self, other: Amount) -> bool:
        """Every positive dimension of `other` is met by self."""
        return (other.cpus <= 0 or self.cpus >= other.cpus - 1e-9) and (
            other.mem <= 0 or self.mem >= other.mem - 1e-9
        )

    def is_zero(self) -> bool:
        return self.cpus <= 0 and self.mem <= 0


def _sum(amounts: Iterable[Amount]) -> Amount:
    out = Amount()
    for amount in amounts:
        out = out + amount
    return out


@dataclass(frozen=True, slots=True)
class TaskUse:
    """One task's allocation and its latest measured use."""

    allocated: Amount
    used: Amount
    revocable: bool = False


@dataclass(frozen=True, slots=True)
class SlackPolicy:
    """How conservative the estimate is.

    margin: the fraction of each non-revocable allocation never lent out.
    growth: the weight of a higher reading in the moving average (0 < growth
    <= 1); 0.25 takes about eight readings to reach 90% of a new level, so a
    dip shorter than a few usage intervals lends little.
    """

    margin: float = 0.2
    growth: float = 0.25

    def __post_init__(self) -> None:
        if not 0 <= self.margin < 1:
            raise ValueError(f"margin must be in [0, 1), not {self.margin}")
        if not 0 < self.growth <= 1:
            raise ValueError(f"growth must be in (0, 1], not {self.growth}")


def raw_slack(
    tasks: Iterable[TaskUse], policy: SlackPolicy, machine_free_mem: float | None = None
) -> Amount:
    """The slack one reading shows, before smoothing.

    Per non-revocable task: allocated - used - margin * allocated, at least
    zero (a task over its share lends nothing, and takes nothing from
    another task's slack). Revocable tasks lend nothing: they run on the
    loan. `machine_free_mem` (MiB, None: not measured) caps memory at what
    the machine has free plus what revocable tasks already use.
    """
    tasks = list(tasks)
    keep = 1 - policy.margin
    cpus = mem = 0.0
    for task in tasks:
        if task.revocable:
            continue
        cpus += max(0.0, task.allocated.cpus * keep - task.used.cpus)
        mem += max(0.0, task.allocated.mem * keep - task.used.mem)
    if machine_free_mem is not None:
        loaned = sum(task.used.mem for task in tasks if task.revocable)
        mem = min(mem, max(0.0, machine_free_mem) + loaned)
    return Amount(_cpus(cpus), _mem(mem))


def next_estimate(previous: Amount, raw: Amount, policy: SlackPolicy) -> Amount:
    """Slow to grow, fast to shrink, per dimension: a lower reading is taken
    as it is; a higher one moves the estimate by `growth` of the gap."""

    def step(before: float, now: float) -> float:
        return now if now <= before else before + policy.growth * (now - before)

    return Amount(_cpus(step(previous.cpus, raw.cpus)), _mem(step(previous.mem, raw.mem)))


def estimate_slack(
    previous: Amount,
    tasks: Iterable[TaskUse],
    policy: SlackPolicy,
    machine_free_mem: float | None = None,
) -> Amount:
    """The next estimate from the previous one (Amount() at start) and a reading."""
    return next_estimate(previous, raw_slack(tasks, policy, machine_free_mem), policy)


K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class RevocableTask(Generic[K]):
    """A running revocable task: its key (whatever the caller names tasks
    by), what it holds, and when it was launched (a larger `launched` is
    newer; ties keep the given order, later = newer)."""

    key: K
    resources: Amount
    launched: float


def slack_shortfall(revocable: Iterable[RevocableTask[K]], slack: Amount) -> Amount:
    """How much revocable tasks hold beyond the slack (zero: they fit)."""
    return _sum(task.resources for task in revocable).minus_clipped(slack)


def launch_shortfall(total: Amount, used: Amount, launch: Amount) -> Amount:
    """What a non-revocable launch lacks on the machine: its allocation
    beyond what the agent's total leaves after the measured use of every
    task (zero: it fits). The master only offers what non-revocable tasks
    leave free, so this is positive only when loans have outgrown the
    estimate (its readings lag the use)."""
    return launch.minus_clipped(total.minus_clipped(used))


def choose_preemptions(revocable: Sequence[RevocableTask[K]], shortfall: Amount) -> list[K]:
    """The revocable tasks to kill so that at least `shortfall` is freed:
    taken newest first, then any whose release turns out unneeded given
    those taken after it are handed back (oldest first, as they have done
    the most work). Newest first in the answer. When every revocable task
    together frees too little, all of them: non-revocable tasks are never
    preempted."""
    if shortfall.is_zero():
        return []
    order = sorted(enumerate(revocable), key=lambda pair: (pair[1].launched, pair[0]), reverse=True)
    chosen: list[RevocableTask[K]] = []
    freed = Amount()
    for _, task in order:
        if freed.covers(shortfall):
            break
        chosen.append(task)
        freed = freed + task.resources
    if not freed.covers(shortfall):
        return [task.key for task in chosen]
    for task in reversed(list(chosen)):
        rest = [other for other in chosen if other is not task]
        if _sum(other.resources for other in rest).covers(shortfall):
            chosen = rest
    return [task.key for task in chosen]
