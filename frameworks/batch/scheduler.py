"""The batch framework's Scheduler: runs jobs to completion.

It owns jobs, runs and attempts (persisted in its own store before anything
is launched), asks `runs.step` what each run does next, fires cron
schedules and dependencies, and carries out the decisions. Written on the
public SDK only: subscription, wake-ups, kills and write-then-launch come
from its `Framework` base.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Iterable, Sequence

from frameworks.batch import schedule
from frameworks.batch.metrics import BatchMetrics
from frameworks.batch.runs import (
    Assignment,
    Attempt,
    Run,
    RunState,
    Step,
    assign,
    earliest,
    step,
)
from frameworks.batch.spec import JobSpec
from frameworks.batch.store import BatchStore, JobRecord
from frameworks.checks import largest_offer
from frameworks.sdk import (
    Framework,
    Offer,
    Placement,
    Resources,
    SchedulerDriver,
    StatusReason,
    TaskSpec,
    TaskState,
    TaskStatus,
    place_tasks,
    task_problem,
)
from offer.clock import Clock

log = logging.getLogger(__name__)

# Endings that are not the task's fault: they do not use up a retry.
# A preempted task was killed to give revocable resources back to their owner.
_NOT_THE_TASKS_FAULT = {StatusReason.AGENT_DRAINED, StatusReason.PREEMPTED}
# How long declined offers stay away: while tasks wait for a larger offer, and otherwise.
REFUSE_BUSY_SECONDS = 5.0
REFUSE_IDLE_SECONDS = 60.0


class UnknownJobError(KeyError):
    pass


class UnknownRunError(KeyError):
    pass


class JobInUseError(ValueError):
    def __init__(self, name: str, needed_by: list[str]) -> None:
        super().__init__(
            f"job {name!r} is in 'depends_on' of {', '.join(needed_by)}; remove those "
            "first, or submit them without it"
        )


class BatchScheduler(Framework):
    # Jobs marked `revocable: true` run on revocable resources when offered.
    accepts_revocable = True

    def __init__(
        self, store: BatchStore, clock: Clock | None = None, metrics: BatchMetrics | None = None
    ) -> None:
        super().__init__(clock, ids=store)
        self._lock = asyncio.Lock()
        self.store = store
        self.metrics = metrics or BatchMetrics()
        self.jobs: dict[str, JobRecord] = {}
        # Insertion order is creation order: older runs launch first.
        self.runs: dict[str, Run] = {}
        self.attempts: dict[str, list[Attempt]] = {}
        self.by_task: dict[str, Attempt] = {}
        # Jobs whose tasks are larger are refused at submit.
        self.largest_offer: Resources | None = None
        # Since the last revive we declined or suppressed: new work must revive.
        self._holding_back = True

    async def load(self) -> None:
        """Reads the store, then handles scheduled times that passed while
        offer-batch was down (each job's `missed_runs` policy)."""
        loaded = await asyncio.to_thread(self.store.load)
        self.framework_id = loaded.framework_id
        self.jobs = {j.spec.name: j for j in loaded.jobs}
        self.runs = {r.run_id: r for r in loaded.runs}
        self.attempts = {r.run_id: [] for r in loaded.runs}
        for a in loaded.attempts:
            self.attempts.setdefault(a.run_id, []).append(a)
            self.by_task[a.task_id] = a
        async with self._lock:
            await self._fire_schedules(self.clock(), recovering=True)

    # ------------------------------------------------------------ callbacks

    async def subscribed(self, driver: SchedulerDriver, framework_id: str) -> None:
        self._holding_back = True
        # Kills sent before a disconnect may not have arrived: the tick sends them again.
        self.kills.forget()
        await super().subscribed(driver, framework_id)

    def live_task_ids(self) -> list[str]:
        return [a.task_id for a in self.by_task.values() if not a.state.is_terminal]

    async def offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        async with self._lock:
            self.largest_offer = largest_offer(self.largest_offer, offers)
            now = self.clock()
            wanted, broken = self._wanted(now)
            assignment = self._assign(offers, wanted)
            by_id = {spec.task_id: (run, index, number) for run, index, number, spec in wanted}
            unused = list(assignment.unused)
            for offer_id, (offer, specs) in assignment.launches.items():
                try:
                    await self._launch(driver, offer, offer_id, specs, by_id, now)
                except Exception as err:  # not a refusal: the runs' tasks are at fault
                    for spec in specs:
                        broken.setdefault(
                            by_id[spec.task_id][0].run_id, f"{type(err).__name__}: {err}"
                        )
                    unused.append(offer_id)
            for run_id, why in broken.items():
                log.error(
                    "run %s cannot be launched: %s", run_id, why, extra=_ids(self.runs[run_id])
                )
                await self._end(self.runs[run_id], RunState.FAILED, f"cannot launch: {why}")
            if unused:
                # Refused for long unless tasks are left over: a revive clears
                # refusals when new work appears. A refusal is logged, and the
                # callback goes on (Framework.call).
                await self.call(
                    driver.decline(
                        unused,
                        refuse_seconds=REFUSE_BUSY_SECONDS
                        if assignment.left_out
                        else REFUSE_IDLE_SECONDS,
                    )
                )
                self._holding_back = True
            if not wanted and not any(True for _ in self._running()):
                # Idle: new work revives offers (see converge). Not while runs go
                # on: a suppress withdraws offers already on their way.
                await self.call(driver.suppress())
                self._holding_back = True

    def _wanted(self, now: float) -> tuple[list[tuple[Run, int, int, TaskSpec]], dict[str, str]]:
        """The tasks the running runs want launched now, and the runs whose
        tasks cannot be launched at all (run id -> why): those fail, the
        others go on."""
        wanted: list[tuple[Run, int, int, TaskSpec]] = []
        broken: dict[str, str] = {}
        for run in self._running():
            try:
                tasks = [
                    (
                        run,
                        index,
                        number,
                        run.spec.task(f"{run.run_id}.{index}.{number}", run.run_id, index, number),
                    )
                    for index, number in step(run, self.attempts[run.run_id], now).launch
                ]
            except Exception as err:  # one run's fault must not stop the others
                broken[run.run_id] = f"{type(err).__name__}: {err}"
                continue
            problem = next(filter(None, (task_problem(t[3]) for t in tasks)), None)
            if problem:
                broken[run.run_id] = problem
                continue
            wanted += tasks
        return wanted, broken

    def _assign(
        self, offers: list[Offer], wanted: list[tuple[Run, int, int, TaskSpec]]
    ) -> Assignment:
        """Tasks of revocable jobs are placed on the offers' revocable parts
        first (that is what those are for), and those that find no room there
        go, unmarked, on what is left of the ordinary parts: a job marked
        revocable may be preempted, but never waits for slack."""
        first = self._place(offers, wanted)
        retry = {s.task_id for s in first.left_out if s.revocable}
        if not retry:
            return first
        rest = [_minus(o, first.launches.get(o.offer_id, (o, []))[1]) for o in offers]
        second = self._place(
            rest,
            [
                (run, index, number, dataclasses.replace(spec, revocable=False))
                for run, index, number, spec in wanted
                if spec.task_id in retry
            ],
        )
        launches = dict(first.launches)
        for offer_id, (_, specs) in second.launches.items():
            offer = next(o for o in offers if o.offer_id == offer_id)
            launches[offer_id] = (offer, [*launches.get(offer_id, (offer, []))[1], *specs])
        left_out = [s for s in first.left_out if s.task_id not in retry] + second.left_out
        unused = [o.offer_id for o in offers if o.offer_id not in launches]
        return Assignment(launches, unused, left_out)

    def _place(
        self, offers: list[Offer], wanted: list[tuple[Run, int, int, TaskSpec]]
    ) -> Assignment:
        """Binpacked jobs' tasks packed together, as many to an offer as fit
        (throughput); then each spread run's tasks over what is left, where
        the fewest of that run's live tasks are (placement only here)."""
        spread = {run.run_id: run for run, *_ in wanted if run.spec.placement == "spread"}
        packed = assign(offers, [s for run, *_, s in wanted if run.run_id not in spread])
        if not spread:
            return packed
        launches = dict(packed.launches)
        left_out = list(packed.left_out)
        for run_id in spread:
            free = [_minus(o, launches.get(o.offer_id, (o, []))[1]) for o in offers]
            live = [a for a in self.attempts[run_id] if not a.state.is_terminal]
            placing = place_tasks(
                free,
                [s for run, *_, s in wanted if run.run_id == run_id],
                placed=[Placement(a.hostname, {}, a.agent_id) for a in live],
            )
            for acceptance in placing.acceptances:
                offer_id = acceptance.offer_ids[0]
                offer = next(o for o in offers if o.offer_id == offer_id)
                launches[offer_id] = (
                    offer,
                    [*launches.get(offer_id, (offer, []))[1], *acceptance.tasks],
                )
            left_out += placing.left_out
        unused = [o.offer_id for o in offers if o.offer_id not in launches]
        return Assignment(launches, unused, left_out)

    async def _launch(
        self,
        driver: SchedulerDriver,
        offer: Offer,
        offer_id: str,
        specs: Sequence[TaskSpec],
        by_id: dict[str, tuple[Run, int, int]],
        now: float,
    ) -> None:
        attempts = []
        for spec in specs:
            run, index, number = by_id[spec.task_id]
            attempts.append(
                Attempt(
                    spec.task_id,
                    run.run_id,
                    index,
                    number,
                    now,
                    agent_id=offer.agent_id,
                    hostname=offer.hostname,
                    address=offer.address,
                    message="launching",
                )
            )
        launched = await self.launch(
            driver,
            offer_id,
            specs,
            functools.partial(self._record_attempts, attempts),
            functools.partial(self._unrecord_attempts, attempts),
        )
        if launched:
            self.metrics.tasks_launched.inc(len(attempts))
            self.metrics.task_retries.inc(sum(1 for a in attempts if a.attempt > 1))

    async def _record_attempts(self, attempts: list[Attempt]) -> None:
        for a in attempts:
            self.attempts[a.run_id].append(a)
            self.by_task[a.task_id] = a
        await asyncio.to_thread(self.store.save, attempts=attempts)

    async def _unrecord_attempts(self, attempts: list[Attempt]) -> None:
        for a in attempts:
            self.attempts[a.run_id].remove(a)
            del self.by_task[a.task_id]
        await asyncio.to_thread(self.store.forget_attempts, [a.task_id for a in attempts])

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        async with self._lock:
            attempt = self.by_task.get(status.task_id)
            if attempt is None or attempt.state.is_terminal:
                await self.stray(status)
                return
            self._record(attempt, status, self.clock())
            await asyncio.to_thread(self.store.save, attempts=[attempt])
            if attempt.state.is_terminal:
                self.kills.ended(attempt.task_id)
        await self.converge()

    def _record(self, attempt: Attempt, status: TaskStatus, now: float) -> None:
        attempt.state = status.state
        attempt.message = status.message
        if status.state == TaskState.UNKNOWN:
            # The master never had it: the launch was lost; it is launched again.
            attempt.state, attempt.counts = TaskState.LOST, False
            attempt.message = "unknown to the master (the launch was lost); launched again"
        if status.reason in _NOT_THE_TASKS_FAULT:
            attempt.counts = False
        if attempt.state == TaskState.RUNNING and attempt.started_at is None:
            attempt.started_at = now
        if attempt.state.is_terminal:
            attempt.ended_at = now
            attempt.exit_code = status.exit_code
            if attempt.timed_out:
                timeout = self.runs[attempt.run_id].spec.timeout_seconds
                attempt.message = f"timed out after {timeout:g}s"

    # ---------------------------------------------------------------- ticks

    async def converge(self) -> None:
        """The tick: fires due schedules, advances every run (timeouts, endings), and
        asks for offers if a task is ready to launch."""
        async with self._lock:
            now = self.clock()
            await self._fire_schedules(now, recovering=False)
            kills: dict[str, str] = {}
            wake_at: float | None = None
            wants = False
            decisions = {run.run_id: await self._advance(run, now) for run in list(self._running())}
            for decided in decisions.values():
                kills.update(decided.kill)
            for run in self._running():
                # A run started by the advancing (a dependent) has no decision yet.
                decided = decisions.get(run.run_id) or step(run, self.attempts[run.run_id], now)
                wants = wants or bool(decided.launch)
                wake_at = earliest(wake_at, decided.wake_at)
            # Tasks of ended runs (failed, cancelled, replaced) still alive, e.g.
            # ones found running again after a restart.
            for run in list(self.runs.values()):
                if run.state.is_ended:
                    for a in self.attempts[run.run_id]:
                        if not a.state.is_terminal:
                            kills.setdefault(a.task_id, run.message)
            for job in self.jobs.values():
                wake_at = earliest(wake_at, job.next_at)
            self.wakeup.at(wake_at)
        await self.kill_tasks(kills)
        if wants and self._holding_back and self.driver is not None:
            self._holding_back = False
            await self.call(self.driver.revive())

    async def _advance(self, run: Run, now: float) -> Step:
        """Applies what `step` decides for a running run; ends it if it is done."""
        decided = step(run, self.attempts[run.run_id], now)
        changed = []
        for task_id in decided.timed_out:
            attempt = self.by_task[task_id]
            attempt.timed_out = True
            changed.append(attempt)
        if decided.outcome is not None:
            run.state, run.ended_at = decided.outcome, now
            run.message, run.exit_code = decided.message, decided.exit_code
            self.metrics.run_finished(run.state)
            log.info("run %s %s: %s", run.run_id, run.state.value, run.message, extra=_ids(run))
            await asyncio.to_thread(self.store.save, runs=[run], attempts=changed)
            await self._forget_old_runs(run.job)
            if run.state == RunState.SUCCEEDED:
                await self._start_dependents(run.job, now)
        elif changed:
            await asyncio.to_thread(self.store.save, attempts=changed)
        return decided

    # ------------------------------------------------------ schedules, deps

    async def _fire_schedules(self, now: float, *, recovering: bool) -> None:
        for job in list(self.jobs.values()):
            if not job.spec.schedule:
                continue
            if job.next_at is None:
                job.next_at = schedule.next_after(job.spec, now)
                await asyncio.to_thread(self.store.save, jobs=[job])
                continue
            found = schedule.due(job.spec, job.next_at, now, recovering=recovering)
            if found.next_at == job.next_at:
                continue
            job.next_at = found.next_at
            if found.missed:
                log.info(
                    "job %s: %d scheduled time(s) passed without a run", job.spec.name, found.missed
                )
            trigger = "missed" if recovering else "schedule"
            if found.fire is None or not await self._make_room(job, trigger):
                await asyncio.to_thread(self.store.save, jobs=[job])
                continue
            await self._new_run(job, trigger, now, scheduled_for=found.fire)

    async def _make_room(self, job: JobRecord, trigger: str) -> bool:
        """Applies the concurrency policy before an automatic run; False: skip it."""
        active = [r for r in self._running() if r.job == job.spec.name]
        if not active or job.spec.concurrency_policy == "allow":
            return True
        if job.spec.concurrency_policy == "forbid":
            log.info(
                "job %s: %s run skipped, %s still runs", job.spec.name, trigger, active[0].run_id
            )
            return False
        for run in active:
            await self._end(run, RunState.CANCELLED, f"replaced by a newer {trigger} run")
        return True

    async def _start_dependents(self, name: str, now: float) -> None:
        """Starts each job whose dependencies have all succeeded since its last run."""
        for job in self.jobs.values():
            if name not in job.spec.depends_on:
                continue
            since = max(
                (r.created_at for r in self.runs.values() if r.job == job.spec.name), default=0.0
            )
            if all(self._succeeded_since(dep, since) for dep in job.spec.depends_on):
                trigger = f"after {name}"
                if await self._make_room(job, trigger):
                    await self._new_run(job, trigger, now)

    def _succeeded_since(self, name: str, since: float) -> bool:
        runs = [r for r in self.runs.values() if r.job == name]
        last = max(runs, key=lambda r: r.created_at, default=None)
        return (
            last is not None and last.state == RunState.SUCCEEDED and (last.ended_at or 0) >= since
        )

    # ------------------------------------------------------------ run book

    def _running(self) -> Iterable[Run]:
        return (r for r in self.runs.values() if r.state == RunState.RUNNING)

    async def _new_run(
        self, job: JobRecord, trigger: str, now: float, scheduled_for: float | None = None
    ) -> Run:
        job.seq += 1
        run = Run(
            f"{job.spec.name}-{job.seq}",
            job.spec.name,
            job.seq,
            job.spec,
            trigger,
            now,
            scheduled_for,
        )
        # One transaction: the run, the job's run counter and its next scheduled time.
        await asyncio.to_thread(self.store.save, jobs=[job], runs=[run])
        self.runs[run.run_id] = run
        self.attempts[run.run_id] = []
        self.metrics.run_started(trigger)
        log.info("run %s started (%s)", run.run_id, trigger, extra=_ids(run))
        return run

    async def _end(self, run: Run, state: RunState, message: str) -> None:
        """Ends a run by request; the next tick kills its live tasks."""
        run.state, run.ended_at, run.message = state, self.clock(), message
        self.metrics.run_finished(state)
        log.info("run %s %s: %s", run.run_id, state.value, message, extra=_ids(run))
        await asyncio.to_thread(self.store.save, runs=[run])
        await self._forget_old_runs(run.job)

    async def _forget_old_runs(self, name: str) -> None:
        job = self.jobs.get(name)
        keep = job.spec.history if job else 0
        ended = sorted(
            (r for r in self.runs.values() if r.job == name and r.state.is_ended),
            key=lambda r: r.created_at,
        )
        old = [r.run_id for r in ended[: max(0, len(ended) - keep)]]
        if not old:
            return
        for run_id in old:
            del self.runs[run_id]
            for a in self.attempts.pop(run_id, []):
                self.by_task.pop(a.task_id, None)
        await asyncio.to_thread(self.store.forget_runs, old)

    # --------------------------------------------------------- control API

    async def submit(self, specs: Sequence[JobSpec]) -> list[str]:
        async with self._lock:
            now = self.clock()
            changed = []
            for spec in specs:
                job = self.jobs.get(spec.name)
                if job is None:
                    job = JobRecord(spec, now)
                elif (job.spec.schedule, job.spec.timezone) != (spec.schedule, spec.timezone):
                    job.next_at = None
                job.spec, job.submitted_at = spec, now
                if spec.schedule and job.next_at is None:
                    job.next_at = schedule.next_after(spec, now)
                if not spec.schedule:
                    job.next_at = None
                changed.append(job)
            await asyncio.to_thread(self.store.save, jobs=changed)
            self.jobs.update({j.spec.name: j for j in changed})
        await self.converge()
        return [s.name for s in specs]

    async def run_now(self, name: str) -> Run:
        async with self._lock:
            run = await self._new_run(self._job(name), "manual", self.clock())
        await self.converge()
        return run

    async def cancel(self, run_id: str) -> Run:
        async with self._lock:
            run = self.runs.get(run_id)
            if run is None:
                raise UnknownRunError(run_id)
            if run.state == RunState.RUNNING:
                await self._end(run, RunState.CANCELLED, "cancelled by request")
        await self.converge()
        return run

    async def remove(self, name: str) -> None:
        async with self._lock:
            self._job(name)
            needed_by = sorted(j.spec.name for j in self.jobs.values() if name in j.spec.depends_on)
            if needed_by:
                raise JobInUseError(name, needed_by)
            kills: dict[str, str] = {}
            del self.jobs[name]
            for run_id in [r.run_id for r in self.runs.values() if r.job == name]:
                del self.runs[run_id]
                for a in self.attempts.pop(run_id, []):
                    self.by_task.pop(a.task_id, None)
                    if not a.state.is_terminal:
                        kills[a.task_id] = "the job was removed"
            await asyncio.to_thread(self.store.delete_job, name)
        await self.kill_tasks(kills)

    def _job(self, name: str) -> JobRecord:
        try:
            return self.jobs[name]
        except KeyError:
            raise UnknownJobError(name) from None

    def runs_of(self, name: str) -> list[Run]:
        """A job's kept runs, newest first."""
        return sorted((r for r in self.runs.values() if r.job == name), key=lambda r: -r.seq)


def _ids(run: Run) -> dict[str, str]:
    """The fields a record about `run` carries (docs/logging.md)."""
    return {"job": run.job, "run_id": run.run_id}


def _minus(offer: Offer, tasks: Sequence[TaskSpec]) -> Offer:
    """The offer with what `tasks` take of it taken out (of its revocable
    part for revocable tasks)."""
    free, lent = offer.resources, offer.revocable
    for task in tasks:
        if task.revocable:
            lent -= task.resources
        else:
            free -= task.resources
    return dataclasses.replace(offer, resources=free, revocable=lent)
