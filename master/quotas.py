"""What operators do to quotas: set and remove a role's guarantee and limit,
and what they read of them. Each change follows the core's order: validate,
change memory, await the store until durable, then tell (a cycle is asked
for, as the headroom and limits changed)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from master.allocator.quota import Quota, owed, quota_problem, room
from master.errors import ErrorKind, MasterError
from master.parts import OverParts
from master.validation import check_role
from offer.resources import Resources

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RoleQuota:
    """A role's quota with where the role stands against it."""

    role: str
    quota: Quota
    # What its frameworks hold: live tasks and outstanding offers.
    consumption: Resources
    # Guarantee minus consumption, floored at 0: held back from other roles.
    held_back: Resources
    # How much more it may be offered before its limit (math.inf: unlimited).
    room: Resources

    @property
    def at_limit(self) -> bool:
        """True when it may be offered no more cpus or no more mem: no task
        can start until some of what it holds is freed."""
        return self.room.cpus <= 0 or self.room.mem <= 0


class QuotaCalls(OverParts):
    async def set(
        self, role: str, guarantees: Mapping[str, float], limits: Mapping[str, float]
    ) -> RoleQuota:
        """Sets the role's quota, replacing any it had. Amounts by kind name
        (cpus, mem, disk); a kind not named is not guaranteed, or not limited.
        Raises MasterError(INVALID_ARGUMENT) for a bad role or amount, a limit
        below its guarantee, or a quota with neither guarantee nor limit."""
        problem = quota_problem(role, guarantees, limits) or check_role(role)
        if problem:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        quota = Quota.of(guarantees, limits)
        if quota.is_empty():
            raise MasterError(
                ErrorKind.INVALID_ARGUMENT,
                f"the quota of role {role!r} has neither a guarantee nor a limit: give one "
                "(e.g. guarantee cpus:4;mem:4096), or remove the role's quota instead",
            )
        self._state.set_quota(role, quota)
        await self._store.write(quotas={role: quota})
        log.info("quota of role %s set: %s", role, quota.describe(), extra={"role": role})
        self._allocation.request()
        return stand(role, quota, self._state.role_consumption().get(role, Resources()))

    async def remove(self, role: str) -> None:
        """Removes the role's quota: nothing is held back for it, nothing
        limits it. NOT_FOUND if it has none."""
        if role not in self._state.quotas:
            raise MasterError(ErrorKind.NOT_FOUND, f"role {role!r} has no quota")
        self._state.set_quota(role, None)
        await self._store.write(quotas={role: None})
        log.info("quota of role %s removed", role, extra={"role": role})
        self._allocation.request()

    def view(self) -> list[RoleQuota]:
        """Every role with a quota, by name, and where it stands."""
        consumption = self._state.role_consumption()
        return [
            stand(role, quota, consumption.get(role, Resources()))
            for role, quota in sorted(self._state.quotas.items())
        ]


def stand(role: str, quota: Quota, consumption: Resources) -> RoleQuota:
    return RoleQuota(role, quota, consumption, owed(quota, consumption), room(quota, consumption))
