"""The service framework's Scheduler: keeps every app's instances running.

It owns the framework's state (apps and instances, persisted in its own
store before anything is launched), feeds offers and updates to the pure
planner, and carries out what it decides. Written on the public SDK only:
subscription, wake-ups, kills and write-then-launch come from its
`Framework` base.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping, Sequence

from frameworks.checks import growing_delay, largest_offer
from frameworks.sdk import (
    CallRefusedError,
    Framework,
    Offer,
    Resources,
    SchedulerDriver,
    TaskSpec,
    TaskStatus,
    task_problem,
)
from frameworks.service.metrics import ServiceMetrics
from frameworks.service.planner import AppView, InstanceView, Plan, plan
from frameworks.service.rollout import (
    VERSIONS_KEPT,
    AppVersion,
    DeploymentState,
    Failures,
    advance,
    change_between,
    started,
)
from frameworks.service.spec import AppSpec
from frameworks.service.store import AppRecord, InstanceRecord, ServiceStore, VolumeClaim
from offer.clock import Clock
from offer.tasks import StatusReason, TaskState

log = logging.getLogger(__name__)

# Kills we asked for, or a drain, are not failures of the app.
_NOT_FAILURES = {StatusReason.KILLED_BY_REQUEST, StatusReason.AGENT_DRAINED}
# Terminal instances kept per app, for `offerctl app show`.
HISTORY = 5


class UnknownAppError(KeyError):
    pass


class UnknownVersionError(KeyError):
    """No such revision of the app is kept."""


class TaskRefusedError(Exception):
    """The master refused an accept for what some of its tasks ask (a grant
    their role lacks, a field it refuses): sent again, they would be refused
    alike."""

    def __init__(self, app_ids: set[str], message: str) -> None:
        super().__init__(message)
        self.app_ids = app_ids


# Why the planner's kills are made, for the log.
_PLANNED_KILL = "scaled down, replaced by a newer version, or unhealthy"


class ServiceScheduler(Framework):
    def __init__(
        self,
        store: ServiceStore,
        clock: Clock | None = None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        super().__init__(clock, ids=store)
        self.store = store
        self.metrics = metrics or ServiceMetrics()
        self.apps: dict[str, AppRecord] = {}
        self.instances: dict[str, InstanceRecord] = {}
        self.waiting: dict[str, str] = {}
        # app id -> why its tasks cannot be launched (found at launch time);
        # it is left out until it is deployed or restarted again.
        self.broken: dict[str, str] = {}
        self.largest_offer: Resources | None = None
        # app id -> how its last failure ended, and whether it was an
        # unhealthy kill (for a failed deployment's reason; not kept across restarts).
        self.last_failure: dict[str, tuple[str, bool]] = {}
        # app id -> its kept versions, oldest first (as the store has them).
        self.versions: dict[str, list[AppVersion]] = {}
        # (app id, instance slot) -> the agent holding that instance's named volumes.
        self.claims: dict[tuple[str, int], VolumeClaim] = {}
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        framework_id, apps, instances = await asyncio.to_thread(self.store.load)
        self.framework_id = framework_id
        self.apps = {a.spec.id: a for a in apps}
        self.instances = {i.task_id: i for i in instances}
        claims = await asyncio.to_thread(self.store.claims)
        self.claims = {(c.app_id, c.slot): c for c in claims}
        # Ended instances of apps removed before removal forgot them.
        gone = {i.app_id for i in instances if i.app_id not in self.apps}
        await self._forget([t for app_id in gone for t in self._forget_old(app_id)])
        for app_id in self.apps:
            self.versions[app_id] = await asyncio.to_thread(self.store.versions, app_id)
        for app in self.apps.values():
            if app.revision == 0:  # deployed before versions were kept
                await self._save_version(app, 1, "as found when versions began to be kept")

    # ------------------------------------------------------------ callbacks

    def live_task_ids(self) -> list[str]:
        return [i.task_id for i in self.instances.values() if not i.state.is_terminal]

    async def offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        async with self._lock:
            self.largest_offer = largest_offer(self.largest_offer, offers)
            decided = plan(
                self._views(), offers, self.clock(), self._new_task_id, self.largest_offer
            )
            self._note_broken(decided.errors, decided)
            launched = await self._launch(driver, decided)
            self.waiting = decided.waiting
            unused = [o.offer_id for o in offers if o.offer_id not in launched]
            if unused:
                # Refused if an offer was rescinded meanwhile: harmless, as for an accept.
                await self.call(driver.decline(unused, refuse_seconds=self._refuse_for(decided)))
            await self.kill_tasks(dict.fromkeys(decided.kills, _PLANNED_KILL))
            await self._advance_deployments()
            # Offers were declined until a backoff ends: revive them then.
            self.wakeup.at(self._next_wakeup(decided.retry_at))
            if not decided.wants_offers and decided.retry_at is None:
                await self.call(driver.suppress())

    def _refuse_for(self, decided: Plan) -> float:
        """How long declined resources stay away: until a backoff ends, briefly
        while instances are wanted, long when nothing is."""
        if decided.retry_at is not None:
            return max(0.1, decided.retry_at - self.clock())
        return 2.0 if decided.wants_offers else 30.0

    async def _launch(self, driver: SchedulerDriver, decided: Plan) -> set[str]:
        """Launches what was planned; returns the offers used. Every launch
        of the pass is written down in one transaction, then accepted on
        all its offers at once: a pass over several agents' offers starts
        them all together, not one agent after another. A task that cannot
        be launched marks its app broken (told by `offerctl app show`) and
        the others on its offer go without it."""
        ready: list[tuple[Offer, list[InstanceRecord], list[TaskSpec], list[VolumeClaim]]] = []
        for offer, planned in decided.launches.values():
            problems = {app_id: task_problem(task) for app_id, task in planned}
            self._note_broken({a: p for a, p in problems.items() if p}, decided)
            tasks = [(app_id, task) for app_id, task in planned if not problems[app_id]]
            if tasks:
                records = self._records(offer, tasks, decided.slots)
                claims = self._new_claims(offer, records)
                ready.append((offer, records, [t for _, t in tasks], claims))
        if not ready:
            return set()
        await self._record(
            [r for _, records, _, _ in ready for r in records],
            [c for _, _, _, claims in ready for c in claims],
        )
        outcomes = await asyncio.gather(
            *(
                self._accept(driver, offer.offer_id, specs, records, claims)
                for offer, records, specs, claims in ready
            ),
            return_exceptions=True,
        )
        used: set[str] = set()
        for (offer, records, _, _), outcome in zip(ready, outcomes, strict=True):
            if isinstance(outcome, TaskRefusedError):  # the others go with the next offer
                self._note_broken(dict.fromkeys(outcome.app_ids, str(outcome)), decided)
            elif isinstance(outcome, Exception):  # not a refusal: the apps' tasks are at fault
                error = f"{type(outcome).__name__}: {outcome}"
                self._note_broken({r.app_id: error for r in records}, decided)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                used.add(offer.offer_id)
                if outcome:  # else refused: nothing was launched
                    self.metrics.instances_launched.inc(len(records))
        return used

    async def _accept(
        self,
        driver: SchedulerDriver,
        offer_id: str,
        specs: list[TaskSpec],
        records: list[InstanceRecord],
        claims: list[VolumeClaim],
    ) -> bool:
        """Framework.launch, its records written beforehand for the whole
        pass: True if launched; refused, nothing was and the records go. A
        refusal that names tasks of ours (no grant for what they ask, a
        field the master refuses) raises TaskRefusedError for their apps,
        which `offerctl app show` then tells, instead of being retried
        unseen; any other error is raised as it is."""
        try:
            await driver.accept([offer_id], specs)
        except CallRefusedError as err:
            await self._unrecord(records, claims)
            named = {r.app_id for r in records if repr(r.task_id) in err.message}
            if err.code in ("PERMISSION_DENIED", "INVALID_ARGUMENT") and named:
                raise TaskRefusedError(named, err.message) from None
            log.info("launch on offer %s refused (%s); waiting for another", offer_id, err)
            return False
        except Exception:
            await self._unrecord(records, claims)
            raise
        return True

    def _records(
        self, offer: Offer, tasks: list[tuple[str, TaskSpec]], slots: Mapping[str, int]
    ) -> list[InstanceRecord]:
        return [
            InstanceRecord(
                spec.task_id,
                app_id,
                self.apps[app_id].version,
                self.clock(),
                agent_id=offer.agent_id,
                hostname=offer.hostname,
                address=offer.address,
                attributes=dict(offer.attributes),
                host_ports=[m.host_port for m in spec.port_mappings],
                message="launching",
                slot=slots.get(spec.task_id, -1),
            )
            for app_id, spec in tasks
        ]

    def _new_claims(self, offer: Offer, records: list[InstanceRecord]) -> list[VolumeClaim]:
        """The first launch of an instance with named volumes pins it to
        the agent of its offer, where the engine creates its volumes."""
        return [
            VolumeClaim(r.app_id, r.slot, offer.agent_id, offer.hostname, self.clock())
            for r in records
            if r.slot >= 0 and (r.app_id, r.slot) not in self.claims
        ]

    def _note_broken(self, errors: dict[str, str], decided: Plan) -> None:
        """Leaves these apps out until they are deployed or restarted again,
        and says why in their waiting reason."""
        for app_id, why in errors.items():
            if self.broken.get(app_id) != why:
                log.error(
                    "app %s cannot be launched (deploy it again once fixed): %s",
                    app_id,
                    why,
                    extra={"app": app_id},
                )
            self.broken[app_id] = why
            decided.waiting[app_id] = f"cannot launch: {why}"

    async def _record(self, records: list[InstanceRecord], claims: list[VolumeClaim]) -> None:
        await asyncio.to_thread(self.store.save, (), records, claims)
        self.instances.update({r.task_id: r for r in records})
        self.claims.update({(c.app_id, c.slot): c for c in claims})

    async def _unrecord(self, records: list[InstanceRecord], claims: list[VolumeClaim]) -> None:
        """Forgets launches that were not made, and the pins they made: no
        volume was created for them."""
        for r in records:
            del self.instances[r.task_id]
        for c in claims:
            self.claims.pop((c.app_id, c.slot), None)
        await asyncio.to_thread(self.store.delete_instances, *[r.task_id for r in records])
        if claims:
            await asyncio.to_thread(self.store.delete_claims, *claims)

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        await self.update_many(driver, [status])

    async def update_many(self, driver: SchedulerDriver, statuses: list[TaskStatus]) -> None:
        """Updates that arrived together (a burst of launches reports them
        so): stored in one transaction, then one convergence."""
        async with self._lock:
            apps: dict[str, AppRecord] = {}
            changed: dict[str, InstanceRecord] = {}
            ended: set[str] = set()
            for status in statuses:
                inst = self.instances.get(status.task_id)
                if inst is None or inst.state.is_terminal:
                    await self.stray(status)
                    continue
                state = status.state if status.state != TaskState.UNKNOWN else TaskState.LOST
                inst.state, inst.message = state, status.message
                inst.healthy = status.healthy
                changed[inst.task_id] = inst
                app = self.apps.get(inst.app_id)
                if app is not None and self._account(app, inst, status):
                    apps[app.spec.id] = app
                if state.is_terminal:
                    self.kills.ended(inst.task_id)
                    ended.add(inst.app_id)
            if changed:
                saved = list(changed.values())
                await asyncio.to_thread(self.store.save, list(apps.values()), saved)
            await self._forget([t for app_id in ended for t in self._forget_old(app_id)])
        await self.converge()

    def _account(self, app: AppRecord, inst: InstanceRecord, status: TaskStatus) -> bool:
        """Crash-loop backoff: each failure doubles (by backoff_factor) the
        delay before the next launch; a ready instance resets it. True if
        the app's record changed."""
        before = (app.failures, app.backoff_until)
        spec = app.spec
        if status.state == TaskState.RUNNING and (status.healthy or spec.health_check is None):
            app.failures = 0
        elif inst.state.is_terminal and status.reason not in _NOT_FAILURES:
            app.failures += 1
            self.last_failure[spec.id] = (
                f"{inst.task_id} {inst.state.name}: {status.message}",
                status.reason == StatusReason.UNHEALTHY,
            )
            delay = growing_delay(
                spec.backoff_seconds,
                spec.backoff_factor,
                app.failures - 1,
                spec.max_launch_delay_seconds,
            )
            app.backoff_until = self.clock() + delay
            self.metrics.backoffs.inc()
            log.info(
                "app %s: instance %s ended (%s); next launch in %.1fs",
                spec.id,
                inst.task_id,
                status.state.name,
                delay,
                extra={"app": spec.id, "task_id": inst.task_id},
            )
        return (app.failures, app.backoff_until) != before

    async def _forget(self, task_ids: list[str]) -> None:
        if task_ids:
            await asyncio.to_thread(self.store.delete_instances, *task_ids)

    def _forget_old(self, app_id: str) -> list[str]:
        """Drops all but the last HISTORY ended instances (all of them once
        the app is removed: nothing shows them then); returns their ids."""
        ended = sorted(
            (i for i in self.instances.values() if i.app_id == app_id and i.state.is_terminal),
            key=lambda i: i.created_at,
        )
        keep = HISTORY if app_id in self.apps else 0
        old = [i.task_id for i in ended[: len(ended) - keep]]
        for task_id in old:
            del self.instances[task_id]
        return old

    async def kill_tasks(self, kills: Mapping[str, str]) -> None:
        """Counts the kills not asked for yet, then asks for them."""
        if self.driver is not None:
            self.metrics.instances_killed.inc(sum(1 for t in kills if t not in self.kills))
        await super().kill_tasks(kills)

    async def converge(self) -> None:
        """Acts on what needs no offer (kills) and asks for offers if needed."""
        if self.driver is None:
            return
        decided = plan(self._views(), [], self.clock(), self._new_task_id, self.largest_offer)
        self.waiting = decided.waiting
        await self.kill_tasks(dict.fromkeys(decided.kills, _PLANNED_KILL))
        await self._advance_deployments()
        self.wakeup.at(self._next_wakeup(decided.retry_at))
        if decided.wants_offers:
            await self.call(self.driver.revive())

    async def _advance_deployments(self) -> None:
        """Marks deployments complete, progressed or failed (past their
        deadline), as the instances are now; persists those that changed."""
        views = {v.spec.id: v for v in self._views()}
        changed = []
        for app_id, app in self.apps.items():
            view = views[app_id]
            after = advance(
                app.deployment,
                app.spec,
                app.version,
                view.instances,
                Failures(app.failures, *self.last_failure.get(app_id, ("", False))),
                self.waiting.get(app_id, ""),
                self.clock(),
            )
            if after == app.deployment:
                continue
            if after.state == DeploymentState.FAILED:
                log.warning(
                    "app %s: deployment of revision %d failed: %s",
                    app_id,
                    app.revision,
                    after.reason,
                    extra={"app": app_id},
                )
            elif after.state == DeploymentState.COMPLETE:
                log.info(
                    "app %s: revision %d deployed", app_id, app.revision, extra={"app": app_id}
                )
            app.deployment = after
            changed.append(app)
        if changed:
            await asyncio.to_thread(self.store.save, changed)

    def _next_wakeup(self, retry_at: float | None) -> float | None:
        """The earliest of a backoff's end and the deployments' deadlines."""
        times = [d for a in self.apps.values() if (d := a.deployment.deadline(a.spec)) is not None]
        if retry_at is not None:
            times.append(retry_at)
        return min(times, default=None)

    def _views(self) -> list[AppView]:
        views = []
        for app in self.apps.values():
            instances = [
                InstanceView(
                    i.task_id,
                    i.app_id,
                    i.version,
                    i.state,
                    i.hostname,
                    i.attributes,
                    i.healthy,
                    i.created_at,
                    tuple(i.host_ports),
                    i.address,
                    i.agent_id,
                    # Still counted until it ends: its container runs out its grace period.
                    kill_asked=i.task_id in self.kills,
                    slot=i.slot,
                )
                for i in self.instances.values()
                if i.app_id == app.spec.id
            ]
            views.append(
                AppView(
                    app.spec,
                    app.version,
                    instances,
                    app.backoff_until,
                    app.failures,
                    self.broken.get(app.spec.id, ""),
                    {
                        slot: (c.agent_id, c.hostname)
                        for (app_id, slot), c in self.claims.items()
                        if app_id == app.spec.id
                    },
                )
            )
        return views

    @staticmethod
    def _new_task_id(app_id: str) -> str:
        return f"{app_id}.{secrets.token_hex(4)}"

    # --------------------------------------------------------- control API

    async def deploy(self, specs: Sequence[AppSpec]) -> list[str]:
        """Creates or updates apps. A new version (anything but `instances`
        and placement changed) is a new revision in the app's history; a
        new version or a new `instances` starts a deployment."""
        async with self._lock:
            for spec in specs:
                app = self.apps.get(spec.id)
                if app is None:
                    app = AppRecord(spec)
                    self.apps[spec.id] = app
                    await self._new_version(app, "created")
                    continue
                before = app.spec
                app.spec, app.failures, app.backoff_until = spec, 0, 0.0
                self.broken.pop(spec.id, None)
                if spec.version != before.version:
                    await self._new_version(app, change_between(before, spec))
                    continue
                if spec.instances != before.instances:
                    app.deployment = started(self.clock())
                # The same version: its revision is kept as first deployed.
                await asyncio.to_thread(self.store.save_app, app)
        await self.converge()
        return [s.id for s in specs]

    async def rollback(self, app_id: str, revision: int = 0) -> int:
        """Deploys a kept version again (the one before the current if
        `revision` is 0), with today's `instances`, by the same rolling
        rules, as a new revision. Returns the revision rolled back to."""
        async with self._lock:
            app = self._app(app_id)
            kept = self.versions.get(app_id, [])
            if revision == 0:
                earlier = [v for v in kept if v.revision < app.revision]
                if not earlier:
                    raise UnknownVersionError(f"app {app_id!r} has no version before this one")
                target = earlier[-1]
            else:
                found = [v for v in kept if v.revision == revision]
                if not found:
                    raise UnknownVersionError(f"app {app_id!r} keeps no revision {revision}")
                target = found[0]
            spec = target.spec.model_copy(update={"instances": app.spec.instances})
            before = app.spec
            app.spec, app.failures, app.backoff_until = spec, 0, 0.0
            self.broken.pop(app_id, None)
            change = f"rollback to revision {target.revision}: {change_between(before, spec)}"
            await self._new_version(app, change)
        await self.converge()
        return target.revision

    def history(self, app_id: str) -> list[AppVersion]:
        """The app's kept versions, oldest first."""
        self._app(app_id)
        return list(self.versions.get(app_id, []))

    def revision_of(self, inst: InstanceRecord) -> int:
        """The revision whose spec the instance runs (0: not kept)."""
        digest = inst.version.rpartition("-")[0]
        kept = self.versions.get(inst.app_id, [])
        return next((v.revision for v in reversed(kept) if v.spec.version == digest), 0)

    async def _new_version(self, app: AppRecord, change: str) -> None:
        """Records `app.spec` as the app's next revision and starts its deployment."""
        app.deployment = started(self.clock())
        await self._save_version(app, app.revision + 1, change)

    async def _save_version(self, app: AppRecord, revision: int, change: str) -> None:
        app.revision = revision
        version = AppVersion(revision, app.spec, self.clock(), change)
        await asyncio.to_thread(self.store.save_version, app, version)
        kept = [v for v in self.versions.get(app.spec.id, []) if v.revision != revision]
        self.versions[app.spec.id] = [*kept, version][-VERSIONS_KEPT:]

    async def scale(self, app_id: str, instances: int) -> None:
        async with self._lock:
            app = self._app(app_id)
            if instances != app.spec.instances:
                app.deployment = started(self.clock())
            app.spec = app.spec.model_copy(update={"instances": instances})
            await asyncio.to_thread(self.store.save_app, app)
        await self.converge()

    async def restart(self, app_id: str) -> None:
        async with self._lock:
            app = self._app(app_id)
            app.nonce += 1
            app.failures, app.backoff_until = 0, 0.0
            app.deployment = started(self.clock())
            self.broken.pop(app_id, None)
            await asyncio.to_thread(self.store.save_app, app)
        await self.converge()

    async def remove(self, app_id: str) -> None:
        async with self._lock:
            self._app(app_id)
            del self.apps[app_id]
            self.versions.pop(app_id, None)
            self.broken.pop(app_id, None)
            # Its volumes stay on their agents (as `docker compose down` keeps
            # them); an app deployed again under its id pins anew.
            self.claims = {k: c for k, c in self.claims.items() if k[0] != app_id}
            await asyncio.to_thread(self.store.delete_app, app_id)
            # Its ended instances now; its live ones as they end.
            await self._forget(self._forget_old(app_id))
            live = [
                i.task_id
                for i in self.instances.values()
                if i.app_id == app_id and not i.state.is_terminal
            ]
        await self.kill_tasks(dict.fromkeys(live, "the app was removed"))

    def _app(self, app_id: str) -> AppRecord:
        app = self.apps.get(app_id)
        if app is None:
            raise UnknownAppError(app_id)
        return app

    def instances_of(self, app_id: str) -> list[InstanceRecord]:
        return sorted(
            (i for i in self.instances.values() if i.app_id == app_id), key=lambda i: i.created_at
        )
