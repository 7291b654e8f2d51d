"""Serves the master's requests for a task's output: from the running
container, or once the task has ended, from what its sandbox kept. When the
sandbox garbage collection (agent/sandbox_gc.py) has deleted that, the
answer's error says so: it reaches `offerctl logs` as its message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from agent.containerizer.docker import ContainerGone, DockerContainerizer
from agent.executor import TaskExecutor
from agent.sandbox_gc import Gone, SandboxGc, format_duration
from offer.v1 import agent_pb2 as pb

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class LogServer:
    def __init__(
        self,
        executor: TaskExecutor,
        containerizer: DockerContainerizer,
        send: Callable[[pb.AgentMessage], None],
        gc: SandboxGc | None = None,
    ) -> None:
        self._executor = executor
        self._gc = gc
        self._containerizer = containerizer
        self._send = send
        self._serving: dict[str, asyncio.Task[None]] = {}

    def request(self, req: pb.LogRequest) -> None:
        job = asyncio.create_task(self._serve(req))
        self._serving[req.request_id] = job
        job.add_done_callback(lambda _: self._serving.pop(req.request_id, None))

    def cancel(self, request_id: str) -> None:
        job = self._serving.pop(request_id, None)
        if job is not None:
            job.cancel()

    async def _serve(self, req: pb.LogRequest) -> None:
        error = ""
        try:
            task = self._executor.find(req.framework_id, req.task_id)
            streamed = False
            if task is not None and task.container_id and not task.state.is_terminal:
                streamed = await self._from_container(req, task.container_id)
            if not streamed:
                error = await self._from_sandbox(req)
        except asyncio.CancelledError:
            return  # the reader went away: nothing more to say
        except Exception as err:
            log.warning("serving the output of %s failed: %s", req.task_id, err)
            error = f"could not read the output: {err}"
        self._send(
            pb.AgentMessage(log_chunk=pb.LogChunk(request_id=req.request_id, eof=True, error=error))
        )

    async def _from_container(self, req: pb.LogRequest, container_id: str) -> bool:
        """False if the container is already gone (the sandbox has its output)."""
        try:
            pieces = self._containerizer.stream_output(container_id, req.tail_lines, req.follow)
            async for piece in pieces:
                self._chunk(req.request_id, piece)
        except ContainerGone:
            return False
        return True

    async def _from_sandbox(self, req: pb.LogRequest) -> str:
        path = self._executor.output_path(req.framework_id, req.task_id)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return await self._no_output(req.framework_id, req.task_id)
        if req.tail_lines:
            data = b"".join(data.splitlines(keepends=True)[-req.tail_lines :])
        self._chunk(req.request_id, data)
        return ""

    async def _no_output(self, framework_id: str, task_id: str) -> str:
        """Why an ended task has no output here, as the person asking reads it."""
        if self._gc is None:
            return f"no output is kept for task {task_id!r} on this agent"
        gone = await self._gc.gone(framework_id, task_id)
        if gone is None:
            return (
                f"no output is kept for task {task_id!r} on this agent (an ended task's "
                f"output is kept for --sandbox-gc-delay {format_duration(self._gc.policy.delay)})"
            )
        return collected_message(task_id, gone, self._gc)

    def _chunk(self, request_id: str, data: bytes) -> None:
        for start in range(0, len(data), CHUNK):
            self._send(
                pb.AgentMessage(
                    log_chunk=pb.LogChunk(request_id=request_id, data=data[start : start + CHUNK])
                )
            )

    async def close(self) -> None:
        for job in list(self._serving.values()):
            job.cancel()
        await asyncio.gather(*self._serving.values(), return_exceptions=True)


def collected_message(task_id: str, gone: Gone, gc: SandboxGc) -> str:
    """What `offerctl logs` says of a task whose sandbox was collected."""
    delay = format_duration(gc.policy.delay)
    why = (
        f"--sandbox-gc-delay {delay}: its output is kept that long after it ends"
        if gone.reason == "delay"
        else f"--sandbox-gc-disk-threshold {gc.policy.disk_threshold:g}%: the disk was fuller "
        f"than that, so it went before its --sandbox-gc-delay {delay}"
    )
    return (
        f"the output of task {task_id!r} was deleted by the agent's sandbox garbage "
        f"collection ({why})"
    )
