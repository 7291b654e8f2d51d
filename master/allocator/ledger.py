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

from collections.abc import Callable, Mapping

from master.allocator.quota import QUOTA_KINDS, Quota, owed, room, total_owed
from offer.resources import Resources

__all__ = ["QuotaLedger"]


class QuotaLedger:
    def __init__(
        self,
        quotas: Mapping[str, Quota],
        consumption: Mapping[str, Resources],
        available: Resources,
    ) -> None:
        """`consumption`: what each role holds; `available`: what is free on
        every offerable agent of the cluster (not only this cycle's)."""
        self._quotas = quotas
        self._consumption = {
            role: consumption.get(role, Resources()).without_ports() for role in quotas
        }
        self._owed = {role: owed(q, self._consumption[role]) for role, q in quotas.items()}
        self._owed_total = total_owed(quotas, self._consumption)
        self._available = available.without_ports()

    def is_owed(self, role: str) -> bool:
        """Whether the role's consumption is below its guarantee on some kind."""
        debt = self._owed.get(role)
        return debt is not None and not debt.is_empty()

    def guaranteed_part(self, role: str, free: Resources) -> Resources:
        """What to offer an owed role of `free` before anyone else is served:
        of a guaranteed kind no more than it is owed (the rest may matter to
        others), of other kinds what the surplus allows, and never past its
        limit. No ports."""
        quota, debt, surplus = self._quotas[role], self._owed[role], self._surplus()
        space = room(quota, self._consumption[role])
        return _kinds(
            lambda k: min(
                getattr(free, k),
                getattr(space, k),
                getattr(debt if getattr(quota.guarantee, k) > 0 else surplus, k),
            )
        )

    def grant(self, role: str, free: Resources) -> Resources:
        """The most of `free` the role may be offered: what it is owed plus
        the surplus, within its limit. No ports."""
        surplus = self._surplus()
        quota = self._quotas.get(role)
        if quota is None:
            return _kinds(lambda k: min(getattr(free, k), getattr(surplus, k)))
        space, debt = room(quota, self._consumption[role]), self._owed[role]
        return _kinds(
            lambda k: min(
                getattr(free, k), getattr(space, k), getattr(debt, k) + getattr(surplus, k)
            )
        )

    def record(self, role: str, amount: Resources) -> None:
        """The role was offered `amount`."""
        amount = amount.without_ports()
        self._available -= amount
        quota = self._quotas.get(role)
        if quota is None:
            return
        self._consumption[role] += amount
        before, after = self._owed[role], owed(quota, self._consumption[role])
        self._owed[role] = after
        self._owed_total -= before - after

    def _surplus(self) -> Resources:
        spare = self._available - self._owed_total
        return Resources(max(0.0, spare.cpus), max(0.0, spare.mem), max(0.0, spare.disk))


def _kinds(amount_of: Callable[[str], float]) -> Resources:
    """An amount made kind by kind, floored at 0."""
    cpus, mem, disk = (round(max(0.0, amount_of(k)), 3) for k in QUOTA_KINDS)
    return Resources(cpus, mem, disk)
