"""The Docker containerizer: runs tasks as containers through the Docker SDK.

The SDK blocks, so every call runs in a thread behind these async methods.
Exits are learnt from the engine's event stream (one reader thread), never
by polling. Containers carry labels naming their agent, framework and task,
so that an agent only ever touches its own, and finds them again after a
restart.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import docker
import docker.errors

from agent.containerizer import cgroups
from agent.containerizer.cgroups import CgroupFiles
from agent.containerizer.engine_client import engine_client, is_local
from agent.containerizer.volumes import (
    VolumeProblem,
    anonymous_volume_mounts,
    named_volume_mounts,
)
from agent.metrics import AgentMetrics
from offer import wire
from offer.tasks import StatusReason, TaskSpec

log = logging.getLogger(__name__)

LABEL_MANAGED = "offer.managed"
LABEL_AGENT = "offer.agent_id"
LABEL_FRAMEWORK = "offer.framework_id"
LABEL_TASK = "offer.task_id"
# The task's spec (without env), so that a restarted agent can adopt it.
LABEL_SPEC = "offer.spec"

# Lines of output quoted in a failed task's message.
TAIL_LINES = 10
# Bytes of an ended task's output kept in its sandbox.
OUTPUT_KEPT = 1024 * 1024
MAX_TAIL_CHARS = 800
# Engine calls in flight at once (threads), and stats calls besides them.
ENGINE_CALLS = 32
SAMPLING_CALLS = 32

_T = TypeVar("_T")


class LaunchError(Exception):
    """The container could not be started; reason says which way."""

    def __init__(self, reason: StatusReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class LaunchCancelled(Exception):
    """The task was killed before its container started: nothing runs."""


class ContainerGone(Exception):
    """The container was removed (its task ended and its output was kept)."""


@dataclass(frozen=True, slots=True)
class ContainerExit:
    """A container of this agent stopped."""

    container_id: str
    framework_id: str
    task_id: str


@dataclass(frozen=True, slots=True)
class OwnContainer:
    """A container this agent started, found by its labels."""

    container_id: str
    framework_id: str
    spec: TaskSpec
    running: bool


@dataclass(frozen=True, slots=True)
class ExitDetails:
    exit_code: int
    oom_killed: bool
    output_tail: str


class DockerContainerizer:
    def __init__(
        self,
        agent_id: str,
        client: docker.DockerClient | None = None,
        pids_limit: int = 1024,
        proc: Path = Path("/proc"),
        *,
        address: str,
        metrics: AgentMetrics | None = None,
    ) -> None:
        self.agent_id = agent_id
        # Launch phases timed, engine errors counted (agent/metrics.py).
        self._metrics = metrics or AgentMetrics()
        # The agent's advertised address: published ports bind to it only,
        # so that a task is reached where the agent says it is, not on every
        # address of the engine's host (agent/address.py).
        self.address = address
        self.pids_limit = pids_limit
        # Where process information is (the engine's PIDs are looked up there).
        self._proc = proc
        self._mounts: dict[str, Path] | None = None
        # Sampled containers -> their cgroup counters (None: not on this machine).
        self._cgroups: dict[str, CgroupFiles | None] = {}
        # Usage sampling (cgroup reads, an inspect where a container's cgroup
        # is not where engines put it, the engine's stats where it is not on
        # this machine), on threads of its own so that it never delays a
        # launch, a kill or an exit. Many at once: the engine answers a
        # container's one-shot stats at once only if nobody asked in the last
        # second, otherwise at its stats collector's next one-second tick,
        # which serves every call waiting; a pass must fit in about one tick
        # (bench/profiling.md, note 22).
        self._sampling = concurrent.futures.ThreadPoolExecutor(
            SAMPLING_CALLS, thread_name_prefix="stats"
        )
        # Every other engine call, on threads of their own: a burst of
        # launches needs more engine calls at once than asyncio's default
        # executor (cpus + 4 threads) allows on a small machine.
        self._calls = concurrent.futures.ThreadPoolExecutor(
            ENGINE_CALLS, thread_name_prefix="engine"
        )
        self._docker = client
        self._events: Any = None
        # Containers the engine reported an "oom" event for: a second source
        # besides State.OOMKilled, which the engine can miss (containerd#8180).
        self._oom_seen: set[str] = set()

    @property
    def _client(self) -> docker.DockerClient:
        """Connects on first use, so that an engine that is down when the
        agent starts is an error to retry, not a crash."""
        if self._docker is None:
            self._docker = engine_client(ENGINE_CALLS + SAMPLING_CALLS)
            if not is_local(self._docker):
                log.info(
                    "the Docker engine at %s is on another host: task usage comes "
                    "from the engine's stats",
                    self._docker.api.base_url,
                )
        return self._docker

    async def _in_thread(self, call: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._calls, functools.partial(call, *args, **kwargs))

    async def launch(
        self,
        framework_id: str,
        spec: TaskSpec,
        cancelled: Callable[[], bool] = lambda: False,
        pulling: Callable[[], None] = lambda: None,
    ) -> str:
        """Creates and starts the task's container; returns its id. Raises
        LaunchCancelled, leaving no container, if `cancelled()` holds once
        it is created (a kill that arrived during a pull or a create).
        `pulling()` is called when the image must be pulled first."""
        # The engine's low-level calls: the SDK's containers.create inspects
        # every container it creates, a round trip a launch must not wait on
        # (bench/profiling.md, note 19).
        api = self._client.api
        try:
            create = functools.partial(
                api.create_container, **self._create_args(framework_id, spec)
            )
        except VolumeProblem as err:
            raise LaunchError(err.reason, str(err)) from None
        container_id = ""
        # The phase an engine error is counted against.
        phase = "create"
        try:
            try:
                began = time.perf_counter()
                container_id = (await self._in_thread(create))["Id"]
                self._observe("create", began)
            except docker.errors.ImageNotFound:
                # Pulled only when missing: an inspect before every create
                # would be one more engine round trip per launch.
                pulling()
                phase = "pull"
                await self._pull(spec.image, framework_id, spec.task_id)
                phase = "create"
                began = time.perf_counter()
                container_id = (await self._in_thread(create))["Id"]
                self._observe("create", began)
            if cancelled():
                await self.remove(container_id)
                raise LaunchCancelled(container_id)
            phase = "start"
            began = time.perf_counter()
            await self._in_thread(api.start, container_id)
            self._observe("start", began)
        except (LaunchCancelled, LaunchError):
            raise
        except docker.errors.APIError as err:
            self._metrics.engine_error(phase)
            if container_id:  # created but not started: leave nothing behind
                with contextlib.suppress(docker.errors.APIError):
                    await self._in_thread(api.remove_container, container_id, force=True, v=True)
            raise LaunchError(
                StatusReason.CONTAINER_LAUNCH_FAILED,
                f"the Docker engine refused the container: {_explain(err)}",
            ) from err
        except Exception:  # the engine unreachable: the executor reports it
            self._metrics.engine_error(phase)
            raise
        return str(container_id)

    def _observe(self, phase: str, began: float) -> None:
        self._metrics.launch_duration.labels(phase).observe(time.perf_counter() - began)

    def _create_args(self, framework_id: str, spec: TaskSpec) -> dict[str, Any]:
        """The engine's create parameters for a task: limits always set,
        labels that name its owner, and what its ContainerSpec asks for."""
        mem_bytes = int(spec.resources.mem * 1024 * 1024)
        host_config = self._client.api.create_host_config(
            nano_cpus=int(spec.resources.cpus * 1e9),
            mem_limit=mem_bytes,
            # No swap beyond the limit: the memory limit is a hard one.
            memswap_limit=mem_bytes,
            # A list, not a mapping by host path: one folder may be mounted twice.
            binds=[
                f"{v.host_path}:{v.container_path}:{'ro' if v.read_only else 'rw'}"
                for v in spec.volumes
            ],
            # Engine volumes, created by the engine on first use and kept;
            # anonymous ones, removed with the container (remove_container v=True).
            mounts=[
                *named_volume_mounts(framework_id, spec),
                *anonymous_volume_mounts(framework_id, spec),
            ]
            or None,
            port_bindings={
                f"{p.container_port}/{p.protocol}": (self.address, p.host_port)
                for p in spec.port_mappings
            },
            # A fork bomb in one task must not exhaust the host's process table.
            pids_limit=self.pids_limit,
            privileged=spec.privileged,
            network_mode=spec.network or None,
            pid_mode=spec.pid or None,
        )
        return {
            "image": spec.image,
            "command": list(spec.command) or None,
            # [""] asks the engine for no entrypoint at all.
            "entrypoint": list(spec.entrypoint) or None,
            "environment": {**port_env(spec), **dict(spec.env)},
            "working_dir": spec.working_dir or None,
            "labels": {
                **dict(spec.labels),
                LABEL_MANAGED: "true",
                LABEL_AGENT: self.agent_id,
                LABEL_FRAMEWORK: framework_id,
                LABEL_TASK: spec.task_id,
                LABEL_SPEC: wire.spec_to_json(spec, with_env=False),
            },
            "volumes": [v.container_path for v in spec.volumes],
            "ports": [(p.container_port, p.protocol) for p in spec.port_mappings],
            "user": spec.user or None,
            # What `docker stop` sends by hand too; the agent's kills send it themselves.
            "stop_signal": spec.stop_signal or None,
            # Logs still read right with a tty: the SDK asks the engine
            # whether the container has one, and reads one raw stream then.
            "stdin_open": spec.stdin_open,
            "tty": spec.tty,
            "host_config": host_config,
            "detach": True,
        }

    async def _pull(self, image: str, framework_id: str, task_id: str) -> None:
        ids = {
            "agent_id": self.agent_id,
            "framework_id": framework_id,
            "task_id": task_id,
            "image": image,
        }
        log.info("pulling image %s for task %s", image, task_id, extra=ids)
        began = time.perf_counter()
        try:
            await self._in_thread(self._client.images.pull, image)
        except docker.errors.APIError as err:
            # Said once, in the task's FAILED line (agent/executor.py).
            self._metrics.engine_error("pull")
            raise LaunchError(
                StatusReason.IMAGE_UNAVAILABLE,
                f"image {image!r} is not on this agent and could not be pulled: {_explain(err)}",
            ) from err
        self._observe("pull", began)
        log.info(
            "pulled image %s for task %s in %.1fs",
            image,
            task_id,
            time.perf_counter() - began,
            extra=ids,
        )

    async def list_own(self) -> list[OwnContainer]:
        """This agent's containers, running or exited, as its labels describe them."""
        found = await self._in_thread(
            self._client.containers.list,
            all=True,
            filters={"label": f"{LABEL_AGENT}={self.agent_id}"},
        )
        own = []
        for container in found:
            labels = container.labels
            try:
                spec = wire.spec_from_json(labels[LABEL_SPEC])
            except (KeyError, ValueError, TypeError):
                log.warning("container %s has no readable %s label", container.short_id, LABEL_SPEC)
                continue
            own.append(
                OwnContainer(
                    str(container.id),
                    labels.get(LABEL_FRAMEWORK, ""),
                    spec,
                    container.status in ("running", "restarting", "paused"),
                )
            )
        return own

    async def stop(self, container_id: str, grace_seconds: float, signal: str = "") -> None:
        """`signal` (the task's stop signal; empty: SIGTERM), then SIGKILL if
        it is still running after the grace period (to the millisecond;
        Docker's own stop counts whole seconds). A container that is already
        gone is fine."""
        api = self._client.api
        try:
            await self._in_thread(api.kill, container_id, signal=signal or "SIGTERM")
        except docker.errors.APIError:
            return  # gone (NotFound is one), or not running any more
        try:
            await self._in_thread(api.wait, container_id, timeout=grace_seconds)
        except Exception:  # still running after the grace period
            with contextlib.suppress(docker.errors.APIError):
                await self._in_thread(api.kill, container_id, signal="SIGKILL")

    async def exit_details(self, container_id: str) -> ExitDetails:
        api = self._client.api
        try:
            state = (await self._in_thread(api.inspect_container, container_id))["State"]
        except Exception:
            self._metrics.engine_error("inspect")
            raise
        try:
            raw = await self._in_thread(api.logs, container_id, tail=TAIL_LINES)
        except Exception:
            self._metrics.engine_error("logs")
            raise
        tail = raw.decode("utf-8", "replace").strip()[-MAX_TAIL_CHARS:]
        oom = bool(state.get("OOMKilled")) or container_id in self._oom_seen
        self._oom_seen.discard(container_id)
        return ExitDetails(int(state.get("ExitCode", -1)), oom, tail)

    async def save_output(self, container_id: str, path: Path) -> None:
        """Keeps the last OUTPUT_KEPT bytes of a container's output in `path`,
        so that its logs outlive the container."""
        try:
            raw = await self._in_thread(self._client.api.logs, container_id)
        except Exception:
            self._metrics.engine_error("logs")
            raise
        path.parent.mkdir(parents=True, exist_ok=True)
        await self._in_thread(path.write_bytes, raw[-OUTPUT_KEPT:])

    async def stream_output(
        self, container_id: str, tail: int, follow: bool
    ) -> AsyncIterator[bytes]:
        """A running container's output: the last `tail` lines (0: all), then
        with `follow` new output until it exits. Closing the iterator stops
        the reader thread. Raises ContainerGone if the container no longer exists."""
        try:
            container = await self._in_thread(self._client.containers.get, container_id)
        except docker.errors.NotFound:
            raise ContainerGone(container_id) from None
        stream = await self._in_thread(
            container.logs, stream=True, follow=follow, tail=tail or "all"
        )
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()

        def pump() -> None:
            try:
                for piece in stream:
                    loop.call_soon_threadsafe(queue.put_nowait, piece)
            except Exception as err:  # the stream was closed, or the engine went away
                log.debug("log stream of %s ended: %s", container_id[:12], err)
            finally:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(queue.put_nowait, None)

        threading.Thread(target=pump, name="docker-logs", daemon=True).start()
        try:
            while (piece := await queue.get()) is not None:
                yield piece
        finally:
            with contextlib.suppress(Exception):
                stream.close()

    async def exec(self, container_id: str, command: tuple[str, ...]) -> int:
        """Runs `command` inside the container; returns its exit code."""
        container = await self._in_thread(self._client.containers.get, container_id)
        result = await self._in_thread(container.exec_run, list(command))
        return int(result.exit_code)

    async def stats(self, container_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(CPU time used so far in ns, memory in use in bytes less page
        cache) of each of the containers that could be sampled: read from its
        cgroup where it is found on this machine, else the engine's stats."""
        loop = asyncio.get_running_loop()
        for gone in self._cgroups.keys() - set(container_ids):
            del self._cgroups[gone]
        new = [c for c in container_ids if c not in self._cgroups]
        if new and self._mounts is None:  # once, before the lookups that need it
            self._mounts = await loop.run_in_executor(self._sampling, self._read_mounts)
        found = await asyncio.gather(
            *(loop.run_in_executor(self._sampling, self._locate, c) for c in new),
            return_exceptions=True,
        )
        for container_id, files in zip(new, found, strict=True):
            if not isinstance(files, BaseException):  # else gone, or the engine away: next time
                self._cgroups[container_id] = files
        local = {c: f for c in container_ids if (f := self._cgroups.get(c)) is not None}
        samples = await loop.run_in_executor(self._sampling, _read_all, local)
        asked = [c for c in container_ids if c not in samples]
        raw = await asyncio.gather(
            *(loop.run_in_executor(self._sampling, self._one_shot_stats, c) for c in asked),
            return_exceptions=True,
        )
        for container_id, result in zip(asked, raw, strict=True):
            if isinstance(result, BaseException):
                log.debug("no stats for %s: %s", container_id[:12], result)
                continue
            cpu = int(result.get("cpu_stats", {}).get("cpu_usage", {}).get("total_usage", 0))
            memory = result.get("memory_stats", {})
            stat = memory.get("stats", {})
            cache = int(stat.get("total_cache", stat.get("file", 0)))  # v1, v2
            samples[container_id] = (cpu, max(0, int(memory.get("usage", 0)) - cache))
        return samples

    def _locate(self, container_id: str) -> CgroupFiles | None:
        """The container's cgroup counters on this machine: where engines
        usually put them, else found through its first process (one
        question to the engine); None if they are not here, as for every
        container of an engine on another host (its PIDs and cgroups are
        that host's, whatever this one happens to have under those names)."""
        if not is_local(self._client):
            return None
        mounted = self._mounts or {}
        if (usual := cgroups.find(container_id, mounted)) is not None:
            return usual
        pid = self._client.api.inspect_container(container_id)["State"]["Pid"]
        try:
            proc_cgroup = (self._proc / str(pid) / "cgroup").read_text()
        except OSError:
            return None
        return cgroups.locate(container_id, proc_cgroup, mounted)

    def _read_mounts(self) -> dict[str, Path]:
        try:
            return cgroups.mounts((self._proc / "self" / "mountinfo").read_text())
        except OSError:
            return {}

    def _one_shot_stats(self, container_id: str) -> dict[str, Any]:
        return dict(self._client.api.stats(container_id, stream=False, one_shot=True))

    async def remove(self, container_id: str) -> None:
        """Removes the container and its anonymous volumes (`docker rm -v`:
        named volumes are kept)."""
        try:
            await self._in_thread(
                self._client.api.remove_container, container_id, force=True, v=True
            )
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as err:
            # Someone else removing it at the same moment (409) is no failure;
            # a container left behind is found again when the agent next starts.
            if err.status_code != 409:
                self._metrics.engine_error("remove")
            log.warning("could not remove container %s: %s", container_id[:12], _explain(err))

    async def subscribe_exits(self) -> AsyncIterator[ContainerExit]:
        """Subscribes to exits of this agent's containers (the engine's event
        stream) and returns them as an async iterator. Once this returns, no
        exit is missed."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[ContainerExit | None] = asyncio.Queue()
        events = await self._in_thread(
            self._client.events,
            decode=True,
            filters={
                "type": "container",
                "event": ["die", "oom"],
                "label": f"{LABEL_AGENT}={self.agent_id}",
            },
        )
        self._events = events

        def pump() -> None:
            try:
                for event in events:
                    if event.get("status") == "oom":
                        self._oom_seen.add(event.get("id", ""))
                        continue
                    attrs = event.get("Actor", {}).get("Attributes", {})
                    item = ContainerExit(
                        event.get("id", ""),
                        attrs.get(LABEL_FRAMEWORK, ""),
                        attrs.get(LABEL_TASK, ""),
                    )
                    loop.call_soon_threadsafe(queue.put_nowait, item)
            except Exception as err:  # the engine went away; the caller decides
                self._metrics.engine_error("events")
                log.warning("Docker event stream ended: %s", err)
            finally:
                with contextlib.suppress(RuntimeError):  # loop already closed
                    loop.call_soon_threadsafe(queue.put_nowait, None)

        threading.Thread(target=pump, name="docker-events", daemon=True).start()
        return _drain(queue)

    def close(self) -> None:
        self._sampling.shutdown(wait=False, cancel_futures=True)
        self._calls.shutdown(wait=False, cancel_futures=True)
        if self._events is not None:
            with contextlib.suppress(Exception):
                self._events.close()
        if self._docker is not None:
            self._docker.close()


def port_env(spec: TaskSpec) -> dict[str, str]:
    """The host ports a task was given, as Marathon tells them: PORT0,
    PORT1, ... in the order of its port mappings, and PORT_<container port>
    for each mapping (the first, if a container port is published for both
    tcp and udp). The task's own env, set after, wins over these."""
    env = {f"PORT{i}": str(p.host_port) for i, p in enumerate(spec.port_mappings)}
    for p in spec.port_mappings:
        env.setdefault(f"PORT_{p.container_port}", str(p.host_port))
    return env


def _explain(err: docker.errors.APIError) -> str:
    return str(err.explanation or err)


def _read_all(local: dict[str, CgroupFiles]) -> dict[str, tuple[int, int]]:
    samples = {}
    for container_id, files in local.items():
        with contextlib.suppress(OSError, ValueError):  # it ended meanwhile
            samples[container_id] = cgroups.read_usage(files)
    return samples


async def _drain(queue: asyncio.Queue[ContainerExit | None]) -> AsyncIterator[ContainerExit]:
    while (item := await queue.get()) is not None:
        yield item
