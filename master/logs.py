"""Relays a task's output from its agent to an Operator.GetTaskLogs caller.

Nothing here changes cluster state: a request goes down the agent's stream,
chunks come back tagged with its id, and end when the agent says so, the
caller leaves, or the agent's stream breaks.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from master.cluster import Task
from master.core import ErrorKind, Master, MasterError
from master.messages import CancelLogs, RequestLogs


@dataclass(frozen=True, slots=True)
class _Piece:
    data: bytes
    eof: bool = False
    error: str = ""
    # The agent went away: asking again later may work. Else the agent
    # answered that it cannot give the output (collected, unreadable).
    transient: bool = False


class LogRelay:
    def __init__(self, master: Master) -> None:
        self._master = master
        self._open: dict[str, tuple[str, asyncio.Queue[_Piece]]] = {}

    async def stream(self, task: Task, tail_lines: int, follow: bool) -> AsyncIterator[bytes]:
        """Yields the task's output. Raises MasterError: UNAVAILABLE if its
        agent is not connected or leaves, NOT_FOUND with the agent's words if
        it cannot give the output (its sandbox was collected, say)."""
        request_id = secrets.token_hex(8)
        queue: asyncio.Queue[_Piece] = asyncio.Queue()
        self._open[request_id] = (task.agent_id, queue)
        request = RequestLogs(request_id, task.framework_id, task.task_id, tail_lines, follow)
        ended = False
        try:
            if not self._master.links.to_agent(task.agent_id, request):
                raise MasterError(
                    ErrorKind.UNAVAILABLE,
                    f"agent {task.agent_id} of task {task.task_id!r} is not connected; "
                    "its output cannot be read now",
                )
            while True:
                piece = await queue.get()
                if piece.data:
                    yield piece.data
                if piece.eof:
                    ended = True
                    if piece.error:
                        kind = ErrorKind.UNAVAILABLE if piece.transient else ErrorKind.NOT_FOUND
                        raise MasterError(kind, piece.error)
                    return
        finally:
            self._open.pop(request_id, None)
            if not ended:
                self._master.links.to_agent(task.agent_id, CancelLogs(request_id))

    def deliver(self, request_id: str, data: bytes, eof: bool, error: str) -> None:
        entry = self._open.get(request_id)
        if entry is not None:
            entry[1].put_nowait(_Piece(data, eof, error))

    def agent_gone(self, agent_id: str) -> None:
        for owner, queue in list(self._open.values()):
            if owner == agent_id:
                gone = f"agent {agent_id} disconnected"
                queue.put_nowait(_Piece(b"", eof=True, error=gone, transient=True))
