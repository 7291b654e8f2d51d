"""Serves the master's requests for a task's output: from the running
container, or once the task has ended, from what its sandbox kept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from agent.containerizer.docker import ContainerGone, DockerContainerizer
from agent.executor import TaskExecutor
from offer.v1 import agent_pb2 as pb

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class LogServer:
    def __init__(
        self,
        executor: TaskExecutor,
        containerizer: DockerContainerizer,
        send: Callable[[pb.AgentMessage], None],
    ) -> None:
        self._executor = executor
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
                error = self._from_sandbox(req)
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

    def _from_sandbox(self, req: pb.LogRequest) -> str:
        path: Path = self._executor.output_path(req.framework_id, req.task_id)
        if not path.exists():
            return f"no output is kept for task {req.task_id!r} on this agent"
        data = path.read_bytes()
        if req.tail_lines:
            data = b"".join(data.splitlines(keepends=True)[-req.tail_lines :])
        self._chunk(req.request_id, data)
        return ""

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
