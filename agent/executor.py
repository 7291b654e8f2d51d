"""Turns launches, kills and container exits into task status updates.

Per task the updates go out in order: STARTING, RUNNING, KILLING (once a
kill of its running container begins: its stop signal, SIGTERM unless the
task names another, is sent and its grace period runs, as Mesos's
executors send TASK_KILLING), then one terminal state. A
container can exit before `start` even returns, so an exit is only
reported once its task's RUNNING has been emitted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent.containerizer.docker import (
    ContainerExit,
    DockerContainerizer,
    LaunchCancelled,
    LaunchError,
)
from agent.health import HealthChecker
from agent.metrics import AgentMetrics
from agent.slack import Amount, RevocableTask, choose_preemptions
from offer.ids import path_inside
from offer.tasks import StatusReason, TaskSpec, TaskState, TaskStatus

log = logging.getLogger(__name__)

DEFAULT_KILL_GRACE = 3.0
# How long a launch waits for an engine that is away (restarting, say).
ENGINE_WAIT = 30.0

_KILL_MESSAGES = {
    StatusReason.KILLED_BY_REQUEST: "killed on request",
    StatusReason.AGENT_DRAINED: "killed: its agent is drained for maintenance",
    StatusReason.UNHEALTHY: "killed: it failed its health checks",
    StatusReason.FRAMEWORK_REMOVED: "killed: its framework was removed",
    StatusReason.PREEMPTED: "preempted: the revocable resources it ran on were taken back",
}


@dataclass
class LocalTask:
    framework_id: str
    spec: TaskSpec
    state: TaskState = TaskState.STARTING
    container_id: str | None = None
    kill_requested: bool = False
    kill_reason: StatusReason = StatusReason.KILLED_BY_REQUEST
    # The latest health-check verdict (None: no check, or none conclusive yet).
    healthy: bool | None = None
    checker: asyncio.Future[None] | None = None
    # Set once RUNNING was emitted (or the launch failed): exits wait for it.
    launched: asyncio.Event = field(default_factory=asyncio.Event)
    # Launch order on this agent (larger: newer): preemption takes the newest first.
    sequence: int = 0


class TaskExecutor:
    def __init__(
        self,
        agent_id: str,
        containerizer: DockerContainerizer,
        emit: Callable[[TaskStatus], None],
        sandboxes: Path,
        metrics: AgentMetrics | None = None,
    ) -> None:
        self.agent_id = agent_id
        self._metrics = metrics or AgentMetrics()
        self.sandboxes = sandboxes
        self._containerizer = containerizer
        self._emit = emit
        self._tasks: dict[tuple[str, str], LocalTask] = {}
        self._launches = 0
        # Set when the engine's event stream ends: the engine is gone or restarting.
        self.engine_lost = asyncio.Event()
        # Set while connected to the engine; launches wait for it.
        self.engine_ready = asyncio.Event()
        self._background: set[asyncio.Task[None]] = set()

    def known_statuses(self) -> list[TaskStatus]:
        """Every task still tracked (live, or ended with its final update not
        yet acknowledged), as a re-registration reports them."""
        return [
            TaskStatus(t.spec.task_id, t.framework_id, self.agent_id, t.state)
            for t in self._tasks.values()
        ]

    def launch(self, framework_id: str, spec: TaskSpec) -> None:
        key = (framework_id, spec.task_id)
        if key in self._tasks:
            return  # a re-sent launch of a task already under way
        self._launches += 1
        task = LocalTask(framework_id, spec, sequence=self._launches)
        self._tasks[key] = task
        self._metrics.tasks_launched.inc()
        log.info(
            "launching task %s of framework %s: image %s, %g cpus, %g MiB",
            spec.task_id,
            framework_id,
            spec.image,
            spec.resources.cpus,
            spec.resources.mem,
            extra=self._ids(task),
        )
        self._update(task, TaskState.STARTING, message=f"starting image {spec.image}")
        self._spawn(self._launch(task))

    async def _launch(self, task: LocalTask) -> None:
        try:
            await asyncio.wait_for(self.engine_ready.wait(), ENGINE_WAIT)
        except TimeoutError:
            self._update(
                task,
                TaskState.FAILED,
                StatusReason.ENGINE_UNAVAILABLE,
                f"the container engine was not reachable within {ENGINE_WAIT:g}s",
            )
            task.launched.set()
            return
        if task.kill_requested:
            self._killed_before_start(task)
            return
        try:
            task.container_id = await self._containerizer.launch(
                task.framework_id,
                task.spec,
                cancelled=lambda: task.kill_requested,
                pulling=lambda: self._update(
                    task,
                    TaskState.STARTING,
                    message=f"pulling image {task.spec.image} (not on this host yet)",
                ),
            )
        except LaunchCancelled:
            self._killed_before_start(task)
            return
        except LaunchError as err:
            self._update(task, TaskState.FAILED, err.reason, str(err))
            task.launched.set()
            return
        except Exception as err:  # the engine is unreachable or misbehaving
            log.warning("launch of %s failed: %s", task.spec.task_id, err, extra=self._ids(task))
            self._update(
                task,
                TaskState.FAILED,
                StatusReason.ENGINE_UNAVAILABLE,
                f"the container engine could not be reached: {err}",
            )
            task.launched.set()
            return
        if task.kill_requested:
            # The kill came while the engine was starting it: it never ran
            # for its framework. Its exit reports KILLED.
            task.launched.set()
            await self._containerizer.stop(task.container_id, 0.0)
            return
        log.info(
            "started task %s of framework %s: container %s",
            task.spec.task_id,
            task.framework_id,
            task.container_id[:12],
            extra=self._ids(task),
        )
        self._update(task, TaskState.RUNNING, message=f"container {task.container_id[:12]} started")
        task.launched.set()
        if task.kill_requested:
            await self._stop(task, task.spec.kill_grace_seconds)
        else:
            self._start_health_checks(task)

    def _killed_before_start(self, task: LocalTask) -> None:
        self._update(
            task,
            TaskState.KILLED,
            task.kill_reason,
            f"{_KILL_MESSAGES.get(task.kill_reason, 'killed on request')} before its container "
            "started",
        )
        task.launched.set()

    def _start_health_checks(self, task: LocalTask) -> None:
        check, container_id = task.spec.health_check, task.container_id
        if check is None or container_id is None:
            return

        async def run_in_container(command: tuple[str, ...]) -> int:
            return await self._containerizer.exec(container_id, command)

        def on_change(healthy: bool, detail: str) -> None:
            if task.state != TaskState.RUNNING:
                return
            task.healthy = healthy
            self._update(task, TaskState.RUNNING, StatusReason.HEALTH_CHANGED, detail)
            if not healthy and check.kill_when_unhealthy:
                self.kill(task.framework_id, task.spec.task_id, 0.0, StatusReason.UNHEALTHY)

        checker = HealthChecker(
            check,
            self._containerizer.address,
            task.spec.host_port(check.port),
            run_in_container,
            on_change,
        )
        task.checker = asyncio.ensure_future(checker.run())
        self._background.add(task.checker)
        task.checker.add_done_callback(self._background.discard)

    def kill(
        self,
        framework_id: str,
        task_id: str,
        grace_seconds: float,
        reason: StatusReason = StatusReason.KILLED_BY_REQUEST,
    ) -> None:
        task = self._tasks.get((framework_id, task_id))
        if task is None or task.state.is_terminal:
            log.info(
                "kill of %s/%s: not running here",
                framework_id,
                task_id,
                extra={"agent_id": self.agent_id, "framework_id": framework_id, "task_id": task_id},
            )
            return
        task.kill_requested = True
        task.kill_reason = reason
        log.info(
            "killing task %s of framework %s (%s)",
            task_id,
            framework_id,
            reason.name,
            extra={**self._ids(task), "reason": reason.name, "grace_seconds": grace_seconds},
        )
        if task.container_id is not None:
            self._spawn(self._stop(task, grace_seconds or task.spec.kill_grace_seconds))

    async def _stop(self, task: LocalTask, grace_seconds: float) -> None:
        """Stops a container that ran for its framework: KILLING is said
        first (once), so that the grace period the container may use whole
        is seen as a kill in flight, not as a task still RUNNING."""
        assert task.container_id is not None
        grace = grace_seconds or DEFAULT_KILL_GRACE
        signal = task.spec.stop_signal or "SIGTERM"
        if task.state == TaskState.RUNNING:
            self._update(
                task,
                TaskState.KILLING,
                task.kill_reason,
                f"{_KILL_MESSAGES.get(task.kill_reason, 'killed on request')}: {signal} sent, "
                f"SIGKILL in {grace:g}s if it is still running",
            )
        await self._containerizer.stop(task.container_id, grace, signal)

    async def connect_engine(self) -> None:
        """Subscribes to container exits, then squares what this agent tracks
        with the containers the engine has: a previous run's running
        containers are adopted, exits that happened while the agent or the
        engine was away are reported now, and a tracked container that is
        gone fails its task. Launches are safe once this returns; it raises
        if the engine cannot be reached, and may be called again after
        `engine_lost` is set."""
        self.engine_lost.clear()
        self.engine_ready.clear()
        exits = await self._containerizer.subscribe_exits()
        self._spawn(self._watch_exits(exits))
        found = {(o.framework_id, o.spec.task_id): o for o in await self._containerizer.list_own()}
        for key, own in found.items():
            task = self._tasks.get(key)
            if task is None:
                task = LocalTask(own.framework_id, own.spec, TaskState.RUNNING, own.container_id)
                task.launched.set()
                self._tasks[key] = task
                if own.running:
                    log.info(
                        "adopted running task %s (container %s)",
                        own.spec.task_id,
                        own.container_id[:12],
                        extra=self._ids(task),
                    )
                    self._start_health_checks(task)
            if not own.running and not task.state.is_terminal:
                self._spawn(self._on_exit(task, own.container_id))
        for key, task in self._tasks.items():
            if task.container_id and not task.state.is_terminal and key not in found:
                self._update(
                    task,
                    TaskState.FAILED,
                    StatusReason.ENGINE_UNAVAILABLE,
                    "its container disappeared while the engine was unreachable",
                )
        self.engine_ready.set()

    async def _watch_exits(self, exits: AsyncIterator[ContainerExit]) -> None:
        try:
            async for exit_ in exits:
                task = self._tasks.get((exit_.framework_id, exit_.task_id))
                if task is not None and not task.state.is_terminal:
                    self._spawn(self._on_exit(task, exit_.container_id))
        finally:
            self.engine_ready.clear()
            self.engine_lost.set()

    async def _on_exit(self, task: LocalTask, container_id: str) -> None:
        await task.launched.wait()
        if task.state.is_terminal:
            return
        try:
            details = await self._containerizer.exit_details(container_id)
        except Exception as err:
            log.warning(
                "cannot inspect exited container %s: %s",
                container_id[:12],
                err,
                extra=self._ids(task),
            )
            self._update(
                task,
                TaskState.FAILED,
                StatusReason.COMMAND_EXITED,
                f"the container exited and could not be inspected: {err}",
            )
            return
        try:
            await self._containerizer.save_output(
                container_id, self.output_path(task.framework_id, task.spec.task_id)
            )
        except Exception as err:
            log.warning(
                "could not keep the output of %s: %s", task.spec.task_id, err, extra=self._ids(task)
            )
        tail = f"; last output: {details.output_tail}" if details.output_tail else ""
        if task.kill_requested:
            self._update(
                task,
                TaskState.KILLED,
                task.kill_reason,
                _KILL_MESSAGES.get(task.kill_reason, "killed on request"),
                details.exit_code,
            )
        elif details.oom_killed:
            self._update(
                task,
                TaskState.FAILED,
                StatusReason.OUT_OF_MEMORY,
                f"out of memory: killed at its {task.spec.resources.mem:g} MiB limit{tail}",
                details.exit_code,
            )
        elif details.exit_code == 137:
            self._update(
                task,
                TaskState.FAILED,
                StatusReason.COMMAND_EXITED,
                "killed by SIGKILL (exit code 137); if it used more than its "
                f"{task.spec.resources.mem:g} MiB memory limit, the kernel's OOM killer "
                f"did it{tail}",
                137,
            )
        elif details.exit_code == 0:
            self._update(
                task, TaskState.FINISHED, StatusReason.COMMAND_EXITED, "exited with code 0", 0
            )
        else:
            self._update(
                task,
                TaskState.FAILED,
                StatusReason.COMMAND_EXITED,
                f"exited with code {details.exit_code}{tail}",
                details.exit_code,
            )
        await self._containerizer.remove(container_id)

    def output_path(self, framework_id: str, task_id: str) -> Path:
        """Where an ended task's output is kept. Raises UnsafePathError for
        ids that would lead out of its sandbox (the master refuses them)."""
        return path_inside(self.sandboxes, framework_id, task_id, "output.log")

    def running_containers(self) -> list[tuple[str, str, str]]:
        """(framework_id, task_id, container_id) of every task with a live container."""
        return [
            (t.framework_id, t.spec.task_id, t.container_id)
            for t in self._tasks.values()
            if t.container_id and not t.state.is_terminal
        ]

    def revocable_tasks(self) -> list[RevocableTask[tuple[str, str]]]:
        """Live revocable tasks not already being killed (a kill in flight
        frees its resources already), keyed by (framework_id, task_id)."""
        return [
            RevocableTask(
                key,
                Amount(t.spec.resources.cpus, t.spec.resources.mem),
                float(t.sequence),
            )
            for key, t in self._tasks.items()
            if t.spec.revocable and not t.state.is_terminal and not t.kill_requested
        ]

    def preempt(self, shortfall: Amount) -> list[tuple[str, str]]:
        """Kills the revocable tasks that free `shortfall` (agent/slack.py
        chooses: newest first, no more than needed), reason PREEMPTED, each
        with its own kill grace. Returns their (framework_id, task_id)."""
        chosen = choose_preemptions(self.revocable_tasks(), shortfall)
        for framework_id, task_id in chosen:
            self.kill(framework_id, task_id, 0.0, StatusReason.PREEMPTED)
        return chosen

    def running_count(self) -> int:
        """How many tasks have a live container (the containers gauge, at scrape)."""
        return sum(1 for t in self._tasks.values() if t.container_id and not t.state.is_terminal)

    def find(self, framework_id: str, task_id: str) -> LocalTask | None:
        return self._tasks.get((framework_id, task_id))

    def forget(self, framework_id: str, task_id: str) -> None:
        """Drops a terminal task once its final update is safely with the master."""
        task = self._tasks.get((framework_id, task_id))
        if task is not None and task.state.is_terminal:
            del self._tasks[(framework_id, task_id)]

    def _update(
        self,
        task: LocalTask,
        state: TaskState,
        reason: StatusReason = StatusReason.UNSPECIFIED,
        message: str = "",
        exit_code: int | None = None,
    ) -> None:
        ended = state.is_terminal and not task.state.is_terminal
        task.state = state
        if ended:
            self._metrics.tasks_finished.labels(state.name.lower()).inc()
            fields: dict[str, object] = {
                **self._ids(task),
                "state": state.name,
                "reason": reason.name,
            }
            if exit_code is not None:
                fields["exit_code"] = exit_code
            log.info(
                "task %s of framework %s ended %s: %s",
                task.spec.task_id,
                task.framework_id,
                state.name,
                message,
                extra=fields,
            )
            if task.checker is not None:
                task.checker.cancel()
        self._emit(
            TaskStatus(
                task.spec.task_id,
                task.framework_id,
                self.agent_id,
                state,
                reason,
                message,
                exit_code=exit_code,
                healthy=task.healthy,
            )
        )

    def _ids(self, task: LocalTask) -> dict[str, str]:
        """The ids a record about `task` carries as fields (docs/logging.md)."""
        ids = {
            "agent_id": self.agent_id,
            "framework_id": task.framework_id,
            "task_id": task.spec.task_id,
        }
        if task.container_id:
            ids["container_id"] = task.container_id
        return ids

    def _spawn(self, coro: object) -> None:
        job = asyncio.ensure_future(coro)  # type: ignore[call-overload]
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    async def close(self) -> None:
        for job in list(self._background):
            job.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
