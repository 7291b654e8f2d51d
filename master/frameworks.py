"""What frameworks do to the master's state: subscribe, accept and decline
offers, kill, acknowledge, reconcile, tear down; and their failover.
Every method follows the core's order: validate, change memory (no await
in between), await the store until durable, then tell."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace

from master.cluster import DEFAULT_ROLE, Agent, Framework, Offer, Task
from master.errors import ErrorKind, MasterError
from master.events import EventKind
from master.messages import FrameworkEvent, LaunchTask, StatusChanged, Subscribed
from master.offerbook import OfferEnd
from master.parts import OverParts
from master.reservations import ReservationChange, planned_dynamic, set_dynamic
from master.validation import check_role, check_tasks, reused_task_id
from offer.outbox import Outbox
from offer.resources import Resources
from offer.tasks import StatusReason, TaskSpec, TaskState, TaskStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Acceptance:
    """Offers of one agent used for tasks: what one Accept asks."""

    offer_ids: Sequence[str]
    specs: Sequence[TaskSpec]
    # Applies to the offers' resources left unused; None: the default.
    refuse_seconds: float | None = None
    # RESERVE and UNRESERVE operations, applied in order before the launch.
    reservations: Sequence[ReservationChange] = ()


class FrameworkCalls(OverParts):
    async def subscribe(
        self,
        framework_id: str,
        name: str,
        role: str,
        user: str,
        failover_timeout: float,
        link: Outbox[FrameworkEvent],
        control_address: str = "",
        principal: str = "",
        suppressed: bool = False,
        accepts_revocable: bool = False,
    ) -> Framework:
        """Registers a framework, or re-registers it when `framework_id` is
        set. Suppression is set from `suppressed` every time (as Mesos's
        SUBSCRIBE does): a framework that suppressed and then failed over
        gets offers again unless it subscribes suppressed."""
        role = role or DEFAULT_ROLE
        problem = check_role(role)
        if problem:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        if framework_id:
            self.check_owner(framework_id, principal)
            role = self._known(framework_id).role
        denied = self._config.acls.framework_problem(principal, role)
        if denied:
            raise MasterError(ErrorKind.PERMISSION_DENIED, denied)
        if not failover_timeout >= 0:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "failover_timeout must be >= 0")
        again = bool(framework_id)
        if framework_id:
            fw = self._known(framework_id)
            fw.name = name or fw.name
            fw.failover_timeout = failover_timeout or fw.failover_timeout
        else:
            fw = Framework(
                framework_id=f"fw-{secrets.token_hex(6)}",
                name=name or "unnamed",
                role=role,
                user=user,
                failover_timeout=failover_timeout or self._config.default_failover_timeout,
                registered_at=self._clock(),
                principal=principal,
            )
            self._state.add_framework(fw)
        fw.control_address = control_address
        fw.suppressed = suppressed
        fw.accepts_revocable = accepts_revocable
        self._timers.cancel_failover(fw.framework_id)
        await self._store.write(frameworks=[fw])
        # Attached only once durable, so that SUBSCRIBED is the stream's first
        # event: an allocation during the write must not offer to this link.
        self._links.attach_framework(fw.framework_id, link)
        self._offers.withdraw_from(fw)
        fw.connected = True
        link.send(Subscribed(fw.framework_id, self._config.heartbeat_interval))
        for update in fw.unacked.values():
            link.send(StatusChanged(update))
        (
            self._metrics.frameworks_resubscribed if again else self._metrics.frameworks_subscribed
        ).inc()
        log.info(
            "framework %s (%s, role %s) %s",
            fw.framework_id,
            fw.name,
            fw.role,
            "re-subscribed (failed over)" if again else "subscribed",
            extra={"framework_id": fw.framework_id, "role": fw.role},
        )
        self._events.publish(
            EventKind.FRAMEWORK_SUBSCRIBED,
            f"framework {fw.framework_id} ({fw.name}, role {fw.role}) "
            f"{'re-subscribed' if again else 'subscribed'}",
            framework_id=fw.framework_id,
        )
        self._allocation.request(newcomer=fw.framework_id)
        return fw

    def check_owner(self, framework_id: str, principal: str) -> None:
        """With authentication on, only a framework's own principal may act for
        it; an unknown id gets the same answer, so ids of others do not leak."""
        if not self._config.authenticate:
            return
        fw = self._state.frameworks.get(framework_id)
        if fw is None or fw.principal != principal:
            raise MasterError(
                ErrorKind.PERMISSION_DENIED,
                f"framework {framework_id!r} is not registered by principal {principal!r}; "
                "use the framework id your Subscribe returned",
            )

    def disconnected(self, framework_id: str, link: Outbox[FrameworkEvent]) -> None:
        """The framework's stream `link` ended: removed unless back in time."""
        if not self._links.detach_framework(framework_id, link):
            return  # an older stream of a framework that has subscribed again since
        fw = self._state.frameworks[framework_id]
        fw.connected = False
        self._offers.withdraw_from(fw)
        if not fw.removed:
            self._timers.arm_failover(fw)
        self._metrics.framework_disconnections.inc()
        log.info(
            "framework %s disconnected; removed unless back within %gs",
            framework_id,
            fw.failover_timeout,
            extra={"framework_id": framework_id, "role": fw.role},
        )
        self._events.publish(
            EventKind.FRAMEWORK_DISCONNECTED,
            f"framework {framework_id} ({fw.name}) disconnected",
            framework_id=framework_id,
        )

    async def failover_expired(self, framework_id: str) -> None:
        """The failover timeout: a framework still away is removed."""
        fw = self._state.frameworks[framework_id]
        if not fw.connected and not fw.removed:
            log.warning(
                "framework %s did not return within its failover timeout",
                framework_id,
                extra={"framework_id": framework_id, "role": fw.role},
            )
            self._metrics.frameworks_timed_out.inc()
            await self._remove_framework(fw, "its failover timeout expired")

    async def accept(
        self,
        framework_id: str,
        offer_ids: Sequence[str],
        specs: Sequence[TaskSpec],
        refuse_seconds: float | None,
        reservations: Sequence[ReservationChange] = (),
    ) -> list[Task]:
        [outcome] = await self.accept_many(
            framework_id, [Acceptance(offer_ids, specs, refuse_seconds, reservations)]
        )
        if isinstance(outcome, MasterError):
            raise outcome
        return outcome

    async def accept_many(
        self, framework_id: str, acceptances: Sequence[Acceptance], atomic: bool = False
    ) -> list[list[Task] | MasterError]:
        """Each acceptance decided on its own, as its own accept would be:
        its tasks, or why it was refused (nothing of it changed). With
        `atomic`, all are validated first and then all are taken, or none is
        (the others then answer ABORTED). The tasks of all are persisted
        with one write before any agent hears of them."""
        fw = self._subscribed(framework_id)
        outcomes: list[list[Task] | MasterError] = []
        # Agents whose dynamic reservations an acceptance changed.
        reserving: list[Agent] = []
        if atomic:
            outcomes = self._take_all(fw, acceptances, reserving)
        else:
            for acceptance in acceptances:
                try:
                    outcomes.append(self._take(fw, acceptance, reserving))
                except MasterError as err:
                    outcomes.append(err)
        tasks = [t for outcome in outcomes if isinstance(outcome, list) for t in outcome]
        if not tasks and not reserving:
            return outcomes
        # STAGING is recorded but never forwarded, so it needs no acknowledgement.
        await self._store.write(
            agents=reserving,
            tasks=tasks,
            updates=[t.status for t in tasks],
            acks=[t.status.uuid for t in tasks],
        )
        for task in tasks:
            self._parts.publish_task_changed(task, task.status)
            self._links.to_agent(task.agent_id, LaunchTask(framework_id, task.spec))
            task.keep_stored_spec_only()
        self._metrics.tasks_launched.inc(len(tasks))
        return outcomes

    def _take_all(
        self, fw: Framework, acceptances: Sequence[Acceptance], reserving: list[Agent]
    ) -> list[list[Task] | MasterError]:
        """All acceptances or none: each is checked as if the ones before it
        were taken (their offers gone, their task ids used), then all are."""
        claimed_offers: set[str] = set()
        claimed_ids: set[str] = set()
        # Agent id -> the role's dynamic reservation there as the entries
        # so far leave it: two that unreserve from one reservation must
        # together fit it, as they are taken one after the other.
        reserved: dict[str, Resources] = {}
        problems: list[MasterError | None] = []
        for acceptance in acceptances:
            try:
                self._check(fw, acceptance, claimed_offers, claimed_ids, reserved)
                problems.append(None)
            except MasterError as err:
                problems.append(err)
            claimed_offers.update(acceptance.offer_ids)
            claimed_ids.update(s.task_id for s in acceptance.specs)
        refused = [i for i, p in enumerate(problems) if p is not None]
        if not refused:
            return [self._take(fw, acceptance, reserving) for acceptance in acceptances]
        aborted = MasterError(
            ErrorKind.ABORTED,
            f"not launched: entry {refused[0]} of this atomic AcceptMany was refused",
        )
        return [p or aborted for p in problems]

    def _check(
        self,
        fw: Framework,
        acceptance: Acceptance,
        claimed_offers: Set[str] = frozenset(),
        claimed_ids: Set[str] = frozenset(),
        reserved: dict[str, Resources] | None = None,
    ) -> list[Offer]:
        """The acceptance's offers if it may be taken; raises MasterError if
        not. Offers and task ids in `claimed_*` count as already taken, and a
        dynamic reservation in `reserved` (by agent id) as earlier entries
        leave it; this one's outcome is recorded there."""
        taken = [oid for oid in acceptance.offer_ids if oid in claimed_offers]
        if taken:
            raise MasterError(
                ErrorKind.NOT_FOUND,
                f"offer {taken[0]!r} is used by an earlier entry of this AcceptMany",
            )
        offers = self._offers.outstanding(fw, acceptance.offer_ids)
        pooled = sum((o.resources for o in offers), Resources())
        lent = sum((o.revocable for o in offers), Resources())
        specs = acceptance.specs
        framework_id = fw.framework_id
        problem = check_tasks(specs, pooled, revocable=lent if fw.accepts_revocable else None)
        if problem:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        reused = reused_task_id(
            specs,
            lambda tid: (
                tid in claimed_ids
                or (framework_id, tid) in self._state.tasks
                # A pruned task's rows may still be in the store: not yet again.
                or (framework_id, tid) in self._state.pruned
            ),
        )
        if reused:
            raise MasterError(ErrorKind.ALREADY_EXISTS, reused)
        for spec in specs:
            denied = self._config.acls.container_problem(fw.role, spec)
            if denied:
                raise MasterError(ErrorKind.PERMISSION_DENIED, denied)
        if acceptance.reservations:
            agent = self._state.agents[offers[0].agent_id]
            so_far = None if reserved is None else reserved.get(agent.agent_id)
            planned = planned_dynamic(fw.role, agent, offers, acceptance.reservations, so_far)
            if reserved is not None:
                reserved[agent.agent_id] = planned
        return offers

    def _take(
        self, fw: Framework, acceptance: Acceptance, reserving: list[Agent] | None = None
    ) -> list[Task]:
        """Validates an acceptance whole, then applies its reservation changes
        and uses its offers for its tasks, in memory (an agent whose
        reservations changed is added to `reserving`); raises MasterError,
        with nothing changed, if it is refused."""
        offers = self._check(fw, acceptance)
        agent = self._state.agents[offers[0].agent_id]
        pooled = sum((o.resources for o in offers), Resources())
        lent = sum((o.revocable for o in offers), Resources())
        specs = acceptance.specs
        framework_id = fw.framework_id
        dynamic = None
        if acceptance.reservations:
            dynamic = planned_dynamic(fw.role, agent, offers, acceptance.reservations)
        for offer in offers:
            self._offers.remove(offer, OfferEnd.ACCEPTED)
        if dynamic is not None:
            # Before the tasks are added, so that they use what was just reserved.
            set_dynamic(self._state, agent, fw.role, dynamic)
            if reserving is not None and agent not in reserving:
                reserving.append(agent)
        now = self._clock()
        tasks = []
        for spec in specs:
            status = TaskStatus(
                spec.task_id,
                framework_id,
                agent.agent_id,
                TaskState.STAGING,
                message="accepted; sending to the agent",
                timestamp=now,
            )
            task = Task(framework_id, agent.agent_id, spec, now, status)
            self._state.add_task(task)
            tasks.append(task)
        used = sum((s.resources for s in specs if not s.revocable), Resources())
        borrowed = sum((s.resources for s in specs if s.revocable), Resources())
        self._offers.refuse(
            fw, agent.agent_id, pooled - used, acceptance.refuse_seconds, lent - borrowed
        )
        return tasks

    def decline(
        self, framework_id: str, offer_ids: Sequence[str], refuse_seconds: float | None
    ) -> None:
        """Declines those of the offers that are still outstanding. An offer
        gone meanwhile (rescinded in flight, timed out) is passed over, as
        Mesos does: the framework holds none of them afterwards, which is
        what it asked; refusing the whole call kept the others held until
        their timeout."""
        fw = self._subscribed(framework_id)
        for offer in self._offers.still_outstanding(fw, offer_ids):
            self._offers.remove(offer, OfferEnd.DECLINED)
            self._offers.refuse(
                fw, offer.agent_id, offer.resources, refuse_seconds, offer.revocable
            )

    def revive(self, framework_id: str) -> None:
        fw = self._subscribed(framework_id)
        fw.refusals.clear()
        fw.revocable_refusals.clear()
        fw.suppressed = False
        # Unlike a subscription, a revive takes back nobody's offers:
        # frameworks that revive often would rescind each other's without
        # end (see bench/profiling.md, note 16).
        self._allocation.request()

    def suppress(self, framework_id: str) -> None:
        fw = self._subscribed(framework_id)
        fw.suppressed = True
        self._offers.withdraw_from(fw)

    def kill(self, framework_id: str, task_id: str) -> None:
        """Kills a live task; for any other the answer is an update with the
        task's state (TASK_UNKNOWN if the master never heard of it)."""
        fw = self._known(framework_id)
        task = self._state.tasks.get((fw.framework_id, task_id))
        if task is None:
            self._links.tell(framework_id, StatusChanged(self._unknown(framework_id, task_id)))
        elif not task.is_live:
            self._links.tell(framework_id, StatusChanged(replace(task.status, uuid="")))
        else:
            self._links.kill(task)

    async def acknowledge(self, framework_id: str, uuids: Sequence[str]) -> None:
        fw = self._known(framework_id)
        if not uuids:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "give the update's uuid (or uuids)")
        known = [uuid for uuid in dict.fromkeys(uuids) if fw.unacked.pop(uuid, None) is not None]
        if not known:
            raise MasterError(
                ErrorKind.NOT_FOUND,
                f"no unacknowledged update {uuids[0]!r} for framework {framework_id}",
            )
        await self._store.write(acks=known)
        # A task passed over for an unacknowledged update may be pruned now.
        self._state.prune_wanted(fw.framework_id)

    def reconcile(self, framework_id: str, task_ids: Sequence[str]) -> None:
        """Answers with each task's latest state (implicit: all live tasks)."""
        fw = self._subscribed(framework_id)
        if task_ids:
            tasks = [self._state.tasks.get((framework_id, t)) for t in task_ids]
            answers = [
                self._unknown(framework_id, tid) if task is None else task.status
                for tid, task in zip(task_ids, tasks, strict=True)
            ]
        else:
            answers = [t.status for t in self._state.live_tasks_of(fw)]
        for answer in answers:
            self._links.tell(
                framework_id,
                StatusChanged(replace(answer, reason=StatusReason.RECONCILIATION, uuid="")),
            )

    async def teardown(self, framework_id: str) -> None:
        fw = self._known(framework_id)
        self._metrics.frameworks_torn_down.inc()
        await self._remove_framework(fw, "the framework was torn down")

    async def _remove_framework(self, fw: Framework, why: str) -> None:
        fw.removed = True
        self._timers.cancel_failover(fw.framework_id)
        self._offers.withdraw_from(fw)
        for task in self._state.live_tasks_of(fw):
            self._links.kill(task, StatusReason.FRAMEWORK_REMOVED)
        await self._store.write(frameworks=[fw])
        self._state.framework_removed(fw)
        self._links.end_framework(fw.framework_id, why)
        fw.connected = False
        log.info(
            "framework %s (%s) removed: %s",
            fw.framework_id,
            fw.name,
            why,
            extra={"framework_id": fw.framework_id, "role": fw.role},
        )
        self._events.publish(
            EventKind.FRAMEWORK_REMOVED,
            f"framework {fw.framework_id} ({fw.name}) removed: {why}",
            framework_id=fw.framework_id,
        )

    def _known(self, framework_id: str) -> Framework:
        fw = self._state.frameworks.get(framework_id)
        if fw is None or fw.removed:
            raise MasterError(
                ErrorKind.NOT_FOUND,
                f"framework {framework_id!r} is not known or was removed; "
                "subscribe without a framework id to register anew",
            )
        return fw

    def _subscribed(self, framework_id: str) -> Framework:
        fw = self._known(framework_id)
        if not fw.connected:
            raise MasterError(
                ErrorKind.FAILED_PRECONDITION,
                f"framework {framework_id} is not subscribed; open a Subscribe stream first",
            )
        return fw

    def _unknown(self, framework_id: str, task_id: str) -> TaskStatus:
        return TaskStatus(
            task_id,
            framework_id,
            "",
            TaskState.UNKNOWN,
            StatusReason.RECONCILIATION,
            "the master does not know this task",
            timestamp=self._clock(),
            uuid="",
        )
