"""The master's settings: timeouts, allocation pacing, DRF weights, ACLs."""

from __future__ import annotations

from dataclasses import dataclass, field

from offer.security.acl import Acls


@dataclass(frozen=True)
class MasterConfig:
    # Allocation runs this long (real time) after the first change that wants
    # it, so that a burst of changes costs one cycle...
    allocation_delay: float = 0.005
    # ... and at least this often (on the master's clock), so that expired
    # filters are noticed.
    allocation_interval: float = 1.0
    heartbeat_interval: float = 15.0
    default_refuse_seconds: float = 5.0
    # An offer not answered within this is rescinded.
    offer_timeout: float = 60.0
    # An offer at least this old may be rescinded early, so that a framework
    # that just subscribed gets a share (offers_to_reclaim).
    offer_reclaim_age: float = 1.0
    # An agent without a stream for this long is lost; its tasks become LOST.
    agent_timeout: float = 60.0
    # Unlike Mesos's 0, long enough for frameworks to survive a master restart.
    default_failover_timeout: float = 7 * 24 * 3600.0
    # Role -> weight for DRF.
    weights: dict[str, float] = field(default_factory=dict)
    # Authorization rules, and whether callers' principals are authenticated
    # (only then does a framework's principal own it).
    acls: Acls = field(default_factory=Acls)
    authenticate: bool = False
    # Ended tasks kept per framework, in memory and in the store; older ones
    # are pruned, oldest first (master.history). Mesos's default.
    max_completed_tasks_per_framework: int = 1000
    # Removed frameworks kept, with their tasks; older ones are pruned.
    max_completed_frameworks: int = 50
