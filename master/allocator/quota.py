"""Quota: a role's guarantee and limit (Mesos's QuotaConfig), and the sums
the allocator keeps with them. Pure: no I/O.

A role's **consumption** is what its frameworks hold: the resources of their
live tasks and of their outstanding offers (and, once reservations exist,
what is reserved for the role). A **guarantee** is an amount the role is
owed: while its consumption is below it, the difference is held back from
every other role (the headroom), whether or not the role has a framework.
A **limit** is an amount no offer takes the role's consumption past. Both
cover cpus, mem and disk only: ports are not a quantity one can be owed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from offer.resources import Resources

__all__ = ["NO_LIMIT", "QUOTA_KINDS", "Quota", "owed", "quota_problem", "room"]

QUOTA_KINDS = ("cpus", "mem", "disk")
# A limit on no kind: every kind unbounded.
NO_LIMIT = Resources(math.inf, math.inf, math.inf)
_NOTHING = Resources()


@dataclass(frozen=True, slots=True)
class Quota:
    """A role's guarantee (kinds not given: 0) and limit (kinds not given:
    unbounded, i.e. math.inf). Never with ports; limit >= guarantee."""

    guarantee: Resources = _NOTHING
    limit: Resources = NO_LIMIT

    @classmethod
    def of(cls, guarantees: Mapping[str, float], limits: Mapping[str, float]) -> Quota:
        """From amounts by kind name (as the Operator API sends them): call
        `quota_problem` first; this one trusts its input."""
        g = [round(float(guarantees.get(k, 0.0)), 3) for k in QUOTA_KINDS]
        lim = [round(float(limits.get(k, math.inf)), 3) for k in QUOTA_KINDS]
        return cls(Resources(g[0], g[1], g[2]), Resources(lim[0], lim[1], lim[2]))

    @property
    def guarantees(self) -> dict[str, float]:
        """The guaranteed kinds and amounts (a kind at 0 guarantees nothing)."""
        return {k: getattr(self.guarantee, k) for k in QUOTA_KINDS if getattr(self.guarantee, k)}

    @property
    def limits(self) -> dict[str, float]:
        """The limited kinds and amounts (a kind not named is unbounded)."""
        return {k: v for k in QUOTA_KINDS if math.isfinite(v := getattr(self.limit, k))}

    def is_empty(self) -> bool:
        """No guarantee and no limit: the same as no quota at all."""
        return not self.guarantees and not self.limits

    def describe(self) -> str:
        """'guarantee cpus:4;mem:4096, limit cpus:8', for logs and events."""
        return (
            f"guarantee {_amounts(self.guarantees) or 'none'}, "
            f"limit {_amounts(self.limits) or 'none'}"
        )


def _amounts(amounts: Mapping[str, float]) -> str:
    return ";".join(f"{k}:{v:g}" for k, v in amounts.items())


def quota_problem(role: str, guarantees: Mapping[str, float], limits: Mapping[str, float]) -> str:
    """Why this quota cannot be set ("" when it can): every message names the
    faulty part and what would be right."""
    if not role:
        return "a quota needs a role: name the role it applies to (e.g. 'prod')"
    for what, amounts in (("guarantee", guarantees), ("limit", limits)):
        for kind, value in amounts.items():
            if kind == "ports":
                return (
                    f"{what}: ports cannot be part of a quota (it covers amounts of "
                    f"{', '.join(QUOTA_KINDS)}, and ports are a set of numbers)"
                )
            if kind not in QUOTA_KINDS:
                return (
                    f"{what}: unknown resource {kind!r} (a quota covers {', '.join(QUOTA_KINDS)})"
                )
            if not math.isfinite(value) or value < 0:
                return f"{what}: {kind} must be a finite amount >= 0, got {value:g}"
    for kind, limit in limits.items():
        guarantee = guarantees.get(kind, 0.0)
        if limit < guarantee:
            return (
                f"the limit of {kind} ({limit:g}) is below its guarantee ({guarantee:g}): "
                "a limit must be at least the guarantee"
            )
    return ""


def owed(quota: Quota, consumption: Resources) -> Resources:
    """What the role is still owed: its guarantee minus its consumption,
    floored at 0 on each kind. No ports."""
    g = quota.guarantee
    return Resources(
        max(0.0, round(g.cpus - consumption.cpus, 3)),
        max(0.0, round(g.mem - consumption.mem, 3)),
        max(0.0, round(g.disk - consumption.disk, 3)),
    )


def room(quota: Quota, consumption: Resources) -> Resources:
    """How much more the role may be offered before its limit: floored at 0,
    math.inf on unlimited kinds. No ports."""
    lim = quota.limit
    return Resources(
        max(0.0, lim.cpus - consumption.cpus),
        max(0.0, lim.mem - consumption.mem),
        max(0.0, lim.disk - consumption.disk),
    )


def total_owed(quotas: Mapping[str, Quota], consumption: Mapping[str, Resources]) -> Resources:
    """The headroom the cluster must keep free: the sum over roles of what
    each is owed."""
    return _sum(owed(q, consumption.get(role, Resources())) for role, q in quotas.items())


def _sum(amounts: Iterable[Resources]) -> Resources:
    cpus = mem = disk = 0.0
    for a in amounts:
        cpus, mem, disk = cpus + a.cpus, mem + a.mem, disk + a.disk
    return Resources(round(cpus, 3), round(mem, 3), round(disk, 3))
