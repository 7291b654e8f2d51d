"""The quota ledger of one allocation cycle: what each role with a quota is
still owed and may still be offered, and what the cluster must keep free.

The rule it keeps (Mesos's headroom): after any offer, the cluster's free
resources stay at least the sum of what roles are owed, kind by kind. An
offer of X to role R lowers the free total by X and R's debt by
min(X, owed_R), so it keeps the rule exactly when the part of X beyond
what R is owed fits in the surplus (free total minus the total owed).
Both grants below follow from that, and from R's limit.
"""

from __future__ import annotations

from collections.abc import Mapping

from master.allocator.quota import Quota
from offer.resources import MIN_TASK_MEM, Resources

# As master.allocator.allocator's (which imports this module).
MIN_OFFER_CPUS = 0.01

__all__ = ["QuotaLedger"]


Amounts = list[float]
"""cpus, mem, disk: the ledger's sums are plain floats, as a cycle changes
them after every offer (Resources would cost an object per change)."""


class QuotaLedger:
    def __init__(
        self,
        quotas: Mapping[str, Quota],
        consumption: Mapping[str, Resources],
        available: Resources,
    ) -> None:
        """`consumption`: what each role holds; `available`: what is free on
        every offerable agent of the cluster (not only this cycle's)."""
        self._guaranteed: dict[str, tuple[bool, ...]] = {}
        self._owed: dict[str, Amounts] = {}
        self._room: dict[str, Amounts] = {}
        for role, quota in quotas.items():
            held = _amounts(consumption.get(role, Resources()))
            g, lim = _amounts(quota.guarantee), _amounts(quota.limit)
            self._guaranteed[role] = tuple(v > 0 for v in g)
            self._owed[role] = [max(0.0, a - b) for a, b in zip(g, held, strict=True)]
            self._room[role] = [max(0.0, a - b) for a, b in zip(lim, held, strict=True)]
        self._owed_total = [sum(o[k] for o in self._owed.values()) for k in range(3)]
        self._available = _amounts(available)

    def is_owed(self, role: str) -> bool:
        """Whether the role's consumption is below its guarantee on some kind."""
        debt = self._owed.get(role)
        return debt is not None and any(v > _EPSILON for v in debt)

    def guaranteed_part(self, role: str, free: Resources) -> Resources | None:
        """What to offer an owed role of `free` before anyone else is served:
        of a guaranteed kind no more than it is owed (the rest may matter to
        others), of other kinds what the surplus allows, and never past its
        limit. No ports; None when too little to offer."""
        surplus, debt, space = self._surplus(), self._owed[role], self._room[role]
        guaranteed = self._guaranteed[role]
        return _allocatable(
            [
                min(f, space[k], debt[k] if guaranteed[k] else surplus[k])
                for k, f in enumerate(_amounts(free))
            ]
        )

    def grant_without_quota(self, free: Resources) -> Resources | None:
        """The most of `free` a role without a quota may be offered: the
        surplus. No ports; None when too little."""
        surplus = self._surplus()
        return _allocatable([min(f, s) for f, s in zip(_amounts(free), surplus, strict=True)])

    def grant(self, role: str, free: Resources) -> Resources | None:
        """The most of `free` the role may be offered: what it is owed plus
        the surplus, within its limit. No ports; None when too little."""
        debt = self._owed.get(role)
        if debt is None:
            return self.grant_without_quota(free)
        surplus, space = self._surplus(), self._room[role]
        return _allocatable(
            [min(f, space[k], debt[k] + surplus[k]) for k, f in enumerate(_amounts(free))]
        )

    def record(self, role: str, amount: Resources) -> None:
        """The role was offered `amount`."""
        given = _amounts(amount)
        avail, total = self._available, self._owed_total
        debt, space = self._owed.get(role), self._room.get(role)
        for k, v in enumerate(given):
            avail[k] -= v
            if debt is not None and space is not None:
                paid = min(debt[k], v)
                debt[k] -= paid
                total[k] -= paid
                space[k] = max(0.0, space[k] - v)

    def _surplus(self) -> Amounts:
        return [max(0.0, a - o) for a, o in zip(self._available, self._owed_total, strict=True)]


# Sums of amounts with three decimals, off by float error at most.
_EPSILON = 1e-6


def _amounts(r: Resources) -> Amounts:
    return [r.cpus, r.mem, r.disk]


def _allocatable(values: Amounts) -> Resources | None:
    cpus, mem, disk = values
    if cpus < MIN_OFFER_CPUS or mem < MIN_TASK_MEM:
        return None
    return Resources(round(cpus, 3), round(mem, 3), round(max(0.0, disk), 3))
