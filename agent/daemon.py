"""The agent daemon: its stream to the master, and reliable status updates.

Status updates are kept until the master acknowledges them (it does so once
they are durable), re-sent after a reconnect and periodically while
unacknowledged, so none is lost when the master or the link fails.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import grpc
from prometheus_client import CollectorRegistry

from agent.containerizer.docker import DockerContainerizer
from agent.executor import TaskExecutor
from agent.logs import LogServer
from agent.metrics import AgentGauges, AgentMetrics, AgentState
from agent.sandbox_gc import GcPolicy, SandboxGc
from agent.slack import Amount, SlackPolicy, TaskUse, estimate_slack, launch_shortfall
from agent.slack import slack_shortfall as loans_beyond
from agent.usage import ContainerSampler, machine_free_mem, machine_usage
from offer import wire
from offer.backoff import Backoff
from offer.folding import AGENT_LISTS, folded, same
from offer.grpc_options import KEEPALIVE_OPTIONS
from offer.leader import is_standby_answer, leader_from
from offer.masters import MasterList
from offer.metrics import LoopLag, new_registry
from offer.outbox import Outbox
from offer.resources import Resources, Usage
from offer.security.client import ClientSecurity
from offer.tasks import TERMINAL_STATES, StatusReason, TaskStatus
from offer.v1 import agent_pb2 as pb
from offer.v1 import agent_pb2_grpc

log = logging.getLogger(__name__)

# Reconnect delays (offer/backoff.py): to the master, and to the engine.
MIN_BACKOFF = 0.2
MAX_ENGINE_BACKOFF = 2.0
MAX_BACKOFF = 10.0
RESEND_AFTER = 5.0
# In a burst, messages to the master go out at least this far apart, each
# with everything that piled up: a deploy's containers report RUNNING about a
# tenth of a second apart, and every message costs the master a durable
# write and an event to the framework, which costs it another. An update
# after a quiet spell goes at once, and so does a task's end (a framework
# replaces the task on the resources it frees).
SEND_SPACING = 0.25


# Answers that retrying cannot change: the agent stops and says why.
# FAILED_PRECONDITION: its id is another agent's (a work dir copied to
# another host), which only a fresh work dir or an operator can fix.
_REFUSALS = (
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.FAILED_PRECONDITION,
)


class AgentRefusedError(Exception):
    """The master refused this agent; retrying would not help."""


class AgentDaemon:
    def __init__(
        self,
        master: str | Sequence[str],
        work_dir: Path,
        total: Resources,
        hostname: str,
        attributes: dict[str, str] | None = None,
        usage_interval: float = 5.0,
        *,
        security: ClientSecurity | None = None,
        pids_limit: int = 1024,
        address: str,
        registry: CollectorRegistry | None = None,
        sandbox_gc: GcPolicy | None = None,
        reservations: dict[str, Resources] | None = None,
        slack_policy: SlackPolicy | None = None,
    ) -> None:
        # The masters it may reach (one leads): where the stream goes next.
        self.masters = MasterList(master)
        # Where other hosts reach this host's tasks (agent/address.py).
        self.address = address
        self.security = security or ClientSecurity()
        self.pids_limit = pids_limit
        self.usage_interval = usage_interval
        self.attributes = dict(attributes or {})
        self.work_dir = work_dir
        self.total = total
        # Role -> the part of `total` its --resources reserves for that role.
        self.reservations = dict(reservations or {})
        self.hostname = hostname
        self._id_file = work_dir / "agent_id"
        self.agent_id = self._id_file.read_text().strip() if self._id_file.exists() else ""
        self._pending: dict[str, TaskStatus] = {}
        self._sent_at: dict[str, float] = {}
        self._outbox: Outbox[pb.AgentMessage] | None = None
        self._executor: TaskExecutor | None = None
        self._logs: LogServer | None = None
        self._has_id = asyncio.Event()
        if self.agent_id:
            self._has_id.set()
        # Set once the engine was reached: a known agent registers only then,
        # so that its Register lists the containers it still runs.
        self._engine_reached = asyncio.Event()
        self._engine_problem = ""
        self._containerizer: DockerContainerizer | None = None
        # What /metrics shows (offer/http; agent/metrics.py).
        self.registry = registry or new_registry()
        self.metrics = AgentMetrics(self.registry)
        # Deletes ended tasks' sandboxes (agent/sandbox_gc.py); a task not
        # known yet counts as live, so nothing goes before the executor exists.
        self.gc = SandboxGc(
            work_dir / "sandboxes",
            work_dir / "sandbox-gc.journal",
            sandbox_gc or GcPolicy(),
            self._task_is_live,
            metrics=self.metrics,
        )
        self.registry.register(
            AgentGauges(
                AgentState(
                    containers_running=lambda: (
                        self._executor.running_count() if self._executor else 0
                    ),
                    registered=lambda: self._outbox is not None,
                    engine_reachable=lambda: (
                        self._engine_reached.is_set() and not self._engine_problem
                    ),
                    status_updates_pending=lambda: len(self._pending),
                    sandboxes=lambda: self.gc.count,
                )
            )
        )
        # A stalled loop delays every status update and kill (offer/metrics.py).
        self._lag = LoopLag(self.registry)
        # Set after the first registration: later ones are reconnects.
        self._registered_before = False
        # The revocable slack (agent/slack.py), updated by each usage sample,
        # and the tasks' latest measured use (zero before the first sample).
        self.slack_policy = slack_policy or SlackPolicy()
        self.slack = Amount()
        self._tasks_used = Amount()

    def healthy(self) -> bool:
        """Serving: registered with a master, and the engine is reachable."""
        return (
            self._outbox is not None and self._engine_reached.is_set() and not self._engine_problem
        )

    async def run(self) -> None:
        """Stays connected to the master, reconnecting with backoff, until
        cancelled. Raises AgentRefusedError if the master refuses it."""
        self._lag.start()
        engine = asyncio.create_task(self._engine_loop())
        resender = asyncio.create_task(self._resend_loop())
        reporter = asyncio.create_task(self._usage_loop())
        collector = asyncio.create_task(self._gc_loop())
        backoff = Backoff(MIN_BACKOFF, MAX_BACKOFF)
        try:
            while True:
                master = self.masters.current
                try:
                    if await self._session(master):
                        backoff.reset()
                    log.warning("stream to master %s closed; reconnecting", master)
                    round_over = self.masters.failed()
                except grpc.aio.AioRpcError as err:
                    if err.code() in _REFUSALS:
                        raise AgentRefusedError(err.details() or err.code().name) from None
                    if is_standby_answer(err):
                        # To the leader it names at once; the backoff is for
                        # a round of masters in which none led.
                        round_over = self.masters.standby(leader_from(err))
                    else:
                        round_over = self.masters.failed()
                        _log_unreachable(master, err, self.masters.current, round_over)
                if round_over:
                    delay = self.masters.round_delay(backoff)
                    log.warning("no master of %s leads; retrying in %.1fs", self.masters, delay)
                    await backoff.sleep(delay)
        finally:
            resender.cancel()
            reporter.cancel()
            collector.cancel()
            engine.cancel()
            if self._logs is not None:
                await self._logs.close()
            if self._executor is not None:
                await self._executor.close()
            if self._containerizer is not None:
                self._containerizer.close()
            await self._lag.stop()

    async def _session(self, master: str) -> bool:
        """One stream to `master`. True if it got as far as registering."""
        if self.agent_id and not self._engine_reached.is_set():
            log.info("waiting for the Docker engine before registering, to report its tasks")
            await self._engine_reached.wait()
        registered = False
        outbox: Outbox[pb.AgentMessage] = Outbox(SEND_SPACING, _reports_an_end)
        known = self._executor.known_statuses() if self._executor else []
        outbox.send(
            pb.AgentMessage(
                register=pb.Register(
                    agent_id=self.agent_id,
                    hostname=self.hostname,
                    total=wire.resources_to_pb(self.total),
                    tasks=[wire.status_to_pb(s) for s in known],
                    attributes=self.attributes,
                    address=self.address,
                    reservations=wire.reservations_to_pb(self.reservations),
                )
            )
        )
        async with self.security.aio_channel(master, KEEPALIVE_OPTIONS) as channel:
            call = agent_pb2_grpc.AgentStub(channel).Connect(
                folded(outbox, same, "message", AGENT_LISTS)
            )
            try:
                async for message in call:
                    kind = message.WhichOneof("message")
                    if kind == "registered":
                        self.masters.connected()
                        await self._on_registered(message.registered.agent_id, outbox)
                        registered = True
                    elif kind == "launch_task" and self._executor is not None:
                        launch = message.launch_task
                        for task in launch.tasks:
                            spec = wire.task_from_pb(task)
                            if not spec.revocable:
                                self._make_room(spec.resources)
                            self._executor.launch(launch.framework_id, spec)
                    elif kind == "kill_task" and self._executor is not None:
                        kill = message.kill_task
                        self._executor.kill(
                            kill.framework_id,
                            kill.task_id,
                            kill.grace_seconds,
                            _reason(kill.reason),
                        )
                    elif kind == "log_request" and self._logs is not None:
                        self._logs.request(message.log_request)
                    elif kind == "log_cancel" and self._logs is not None:
                        self._logs.cancel(message.log_cancel.request_id)
                    elif kind == "status_update_ack":
                        for uuid in message.status_update_ack.uuids:
                            self._on_ack(uuid)
                    elif kind == "shutdown_reason":
                        raise AgentRefusedError(message.shutdown_reason)
            finally:
                self._outbox = None
        return registered

    async def _on_registered(self, agent_id: str, outbox: Outbox[pb.AgentMessage]) -> None:
        if agent_id != self.agent_id:
            self._id_file.write_text(agent_id + "\n")
            self.agent_id = agent_id
        self._make_executor()
        self._has_id.set()
        if self._registered_before:
            self.metrics.master_reconnects.inc()
        self._registered_before = True
        log.info(
            "registered with master %s as agent %s (%s), tasks reached at %s",
            self.masters.current,
            agent_id,
            self.total,
            self.address,
            extra={"agent_id": agent_id, "hostname": self.hostname},
        )
        self._outbox = outbox
        if self._engine_problem:
            self._send_engine_state()
        for status in self._pending.values():
            self._send(status)

    def _make_executor(self) -> TaskExecutor:
        """The executor exists as soon as the agent has an id, so that no
        launch finds it missing; it waits for the engine itself."""
        if self._executor is None:
            self._containerizer = DockerContainerizer(
                self.agent_id,
                pids_limit=self.pids_limit,
                address=self.address,
                metrics=self.metrics,
            )
            self._executor = TaskExecutor(
                self.agent_id,
                self._containerizer,
                self._emit,
                self.work_dir / "sandboxes",
                self.metrics,
            )
            self._logs = LogServer(self._executor, self._containerizer, self._send_message, self.gc)
        return self._executor

    async def _engine_loop(self) -> None:
        """Keeps the executor connected to the container engine: reports when
        it is lost, retries with backoff, and reconciles when it is back."""
        await self._has_id.wait()
        executor = self._make_executor()
        backoff = Backoff(MIN_BACKOFF, MAX_ENGINE_BACKOFF)
        while True:
            try:
                await executor.connect_engine()
            except Exception as err:
                self.metrics.engine_error("connect")
                self._set_engine_problem(f"cannot reach the Docker engine: {err}")
                await backoff.sleep(backoff.next_delay())
                continue
            backoff.reset()
            self._set_engine_problem("")
            self._engine_reached.set()
            await executor.engine_lost.wait()
            self._set_engine_problem("the Docker engine's event stream ended (engine stopped?)")

    def _set_engine_problem(self, problem: str) -> None:
        if problem == self._engine_problem:
            return
        if problem:
            log.error("%s; no new tasks until it is back, retrying", problem)
        else:
            log.info("the Docker engine is reachable")
        self._engine_problem = problem
        self._send_engine_state()

    def _send_engine_state(self) -> None:
        self._send_message(
            pb.AgentMessage(
                engine=pb.EngineState(
                    available=not self._engine_problem, message=self._engine_problem
                )
            )
        )

    async def _gc_loop(self) -> None:
        """Sandbox garbage collection, once the engine was reached: by then a
        restarted agent has adopted its running containers, so that what
        `_task_is_live` says of them is so."""
        await self._engine_reached.wait()
        await self.gc.run()

    def _task_is_live(self, framework_id: str, task_id: str) -> bool:
        if self._executor is None:
            return True
        task = self._executor.find(framework_id, task_id)
        return task is not None and not task.state.is_terminal

    def _emit(self, status: TaskStatus) -> None:
        self._pending[status.uuid] = status
        self._send(status)
        if status.state.is_terminal:
            # Its output, if any, is written before its end is reported.
            self.gc.task_ended(status.framework_id, status.task_id)

    def _send(self, status: TaskStatus) -> None:
        if self._outbox is not None:
            self._sent_at[status.uuid] = time.monotonic()
            self._send_message(
                pb.AgentMessage(status_update=pb.StatusUpdate(statuses=[wire.status_to_pb(status)]))
            )

    def _send_message(self, message: pb.AgentMessage) -> None:
        """Sends on the current stream; dropped while disconnected (only
        status updates are kept for re-sending)."""
        if self._outbox is not None:
            self._outbox.send(message)

    def _on_ack(self, uuid: str) -> None:
        status = self._pending.pop(uuid, None)
        self._sent_at.pop(uuid, None)
        if status is not None and status.state.is_terminal and self._executor is not None:
            self._executor.forget(status.framework_id, status.task_id)

    async def _usage_loop(self) -> None:
        """Reports the machine's and each task's use every usage_interval."""
        sampler: ContainerSampler | None = None
        while True:
            await asyncio.sleep(self.usage_interval)
            if self._executor is None or self._containerizer is None or self._outbox is None:
                continue
            sampler = sampler or ContainerSampler(self._containerizer)
            live = self._executor.running_containers()
            samples = await sampler.sample([c for _, _, c in live])
            report = pb.UsageReport(machine=wire.usage_to_pb(machine_usage()))
            for framework_id, task_id, container_id in live:
                if container_id in samples:
                    report.tasks.add(
                        framework_id=framework_id,
                        task_id=task_id,
                        usage=wire.usage_to_pb(samples[container_id]),
                    )
            self._update_slack(live, samples)
            report.revocable_slack.CopyFrom(
                wire.resources_to_pb(Resources(self.slack.cpus, self.slack.mem))
            )
            self._send_message(pb.AgentMessage(usage=report))

    def _update_slack(self, live: list[tuple[str, str, str]], samples: dict[str, Usage]) -> None:
        """Moves the slack estimate on by one sample, and preempts revocable
        tasks holding more than it now leaves them."""
        assert self._executor is not None
        uses: list[TaskUse] = []
        for framework_id, task_id, container_id in live:
            task = self._executor.find(framework_id, task_id)
            sample = samples.get(container_id)
            if task is None or sample is None:
                continue
            allocated = Amount(task.spec.resources.cpus, task.spec.resources.mem)
            used = Amount(sample.cpus_used, sample.mem_used)
            uses.append(TaskUse(allocated, used, task.spec.revocable))
        self._tasks_used = Amount(sum(u.used.cpus for u in uses), sum(u.used.mem for u in uses))
        before = self.slack
        self.slack = estimate_slack(before, uses, self.slack_policy, machine_free_mem())
        if self.slack != before:
            log.debug("revocable slack: %s cpus, %s MiB", self.slack.cpus, self.slack.mem)
        shortfall = loans_beyond(self._executor.revocable_tasks(), self.slack)
        preempted = self._executor.preempt(shortfall)
        if preempted:
            log.info(
                "slack fell to %g cpus, %g MiB: preempting %s",
                self.slack.cpus,
                self.slack.mem,
                ", ".join(task_id for _, task_id in preempted),
            )

    def _make_room(self, launch: Resources) -> None:
        """A non-revocable launch the machine has no room for, by the latest
        measured use, preempts revocable tasks first (the master offered
        that room; loans outgrew the estimate between two samples)."""
        assert self._executor is not None
        total = Amount(self.total.cpus, self.total.mem)
        shortfall = launch_shortfall(total, self._tasks_used, Amount(launch.cpus, launch.mem))
        preempted = self._executor.preempt(shortfall)
        if preempted:
            log.info(
                "a launch needs %g cpus, %g MiB more: preempting %s",
                shortfall.cpus,
                shortfall.mem,
                ", ".join(task_id for _, task_id in preempted),
            )

    async def _resend_loop(self) -> None:
        while True:
            await asyncio.sleep(RESEND_AFTER)
            stale = time.monotonic() - RESEND_AFTER
            for uuid, status in list(self._pending.items()):
                if self._sent_at.get(uuid, 0.0) < stale:
                    self._send(status)


def _log_unreachable(master: str, err: grpc.aio.AioRpcError, then: str, round_over: bool) -> None:
    """A master that cannot be reached: a warning once no master led in a
    round, else a note that the next one is tried."""
    reason = err.details() or err.code().name
    if round_over:
        log.warning("master %s unreachable (%s)", master, reason)
    else:
        log.info("master %s unreachable (%s); trying %s", master, reason, then)


def _reports_an_end(message: pb.AgentMessage) -> bool:
    return message.HasField("status_update") and any(
        status.state in TERMINAL_STATES for status in message.status_update.statuses
    )


def _reason(value: int) -> StatusReason:
    try:
        return StatusReason(value)
    except ValueError:
        return StatusReason.KILLED_BY_REQUEST
