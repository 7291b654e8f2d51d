"""Many load-test agents in one process, each with its own Agent.Connect
stream to the master, speaking the protocol `agent.daemon` speaks.

A launched task "runs" without a container for the seconds its command
`sleep N` names (`sleep inf`: until the end), reporting STARTING, RUNNING
and FINISHED as the real agent's executor does. Streams share a few
channels (HTTP/2 connections), as many agents behind one NAT would.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence

import grpc

from bench.load.stats import Recorder
from offer.folding import AGENT_LISTS, folded, same
from offer.grpc_options import KEEPALIVE_OPTIONS
from offer.outbox import Outbox
from offer.v1 import agent_pb2 as pb
from offer.v1 import agent_pb2_grpc
from offer.v1 import common_pb2 as common

AGENTS_PER_CHANNEL = 100
# Registrations in flight at once: a whole fleet dialling in the same
# millisecond is not what a master meets, and it would only measure the queue.
REGISTERING_AT_ONCE = 500


class LoadAgent:
    def __init__(
        self,
        index: int,
        stub: agent_pb2_grpc.AgentStub,
        total: common.Resources,
        recorder: Recorder,
        agent_id: str = "",
        known: Sequence[common.TaskStatus] = (),
    ) -> None:
        self.index = index
        # Known from an earlier life: it re-registers with its id and tasks.
        self.agent_id = agent_id
        self._known = list(known)
        self.live = len(self._known)
        self._stub = stub
        self._total = total
        self._recorder = recorder
        self._outbox: Outbox[pb.AgentMessage] = Outbox()
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self.registered = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        register = pb.Register(
            agent_id=self.agent_id,
            hostname=f"load-{self.index}",
            total=self._total,
            tasks=self._known,
        )
        self._outbox.send(pb.AgentMessage(register=register))
        call = self._stub.Connect(self._outgoing())
        self._reader = asyncio.create_task(self._read(call))

    def _outgoing(self) -> AsyncIterator[pb.AgentMessage]:
        # As the real agent: what queued up meanwhile goes out together.
        return folded(self._outbox, same, "message", AGENT_LISTS)

    async def _read(self, call: AsyncIterator[pb.MasterMessage]) -> None:
        try:
            async for message in call:
                kind = message.WhichOneof("message")
                if kind == "launch_task":
                    self._launch(message.launch_task)
                elif kind == "kill_task":
                    self._end(
                        message.kill_task.framework_id,
                        message.kill_task.task_id,
                        common.TASK_KILLED,
                        0.0,
                    )
                elif kind == "registered":
                    self.agent_id = message.registered.agent_id
                    self.registered.set()
        except grpc.aio.AioRpcError:
            pass  # the master went away: the benchmark is over

    def _launch(self, launch: pb.LaunchTask) -> None:
        for task in launch.tasks:
            self._run(launch.framework_id, task)

    def _run(self, fid: str, task: common.TaskInfo) -> None:
        self._recorder.launched()
        tid = task.task_id
        self.live += 1
        self._update(fid, tid, common.TASK_STARTING)
        self._update(fid, tid, common.TASK_RUNNING)
        seconds = float(task.container.command[1])
        if math.isfinite(seconds):
            cpus = task.resources.cpus
            self._timers[(fid, tid)] = asyncio.get_running_loop().call_later(
                seconds, self._end, fid, tid, common.TASK_FINISHED, cpus
            )

    def _end(self, fid: str, tid: str, state: common.TaskState, cpus: float) -> None:
        timer = self._timers.pop((fid, tid), None)
        if timer is not None:
            timer.cancel()
        self.live -= 1
        if cpus:
            self._recorder.freed(self.agent_id, cpus)
        self._update(fid, tid, state, exit_code=0)

    def _update(
        self, fid: str, tid: str, state: common.TaskState, exit_code: int | None = None
    ) -> None:
        status = common.TaskStatus(
            task_id=tid,
            framework_id=fid,
            agent_id=self.agent_id,
            state=state,
            timestamp=time.time(),
            uuid=uuid.uuid4().hex,
            exit_code=exit_code,
        )
        self._outbox.send(pb.AgentMessage(status_update=pb.StatusUpdate(statuses=[status])))

    async def close(self) -> None:
        self._outbox.close()
        for timer in self._timers.values():
            timer.cancel()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)


class LoadAgents:
    """`count` agents of `cpus` and `mem` each, registered with `master`."""

    def __init__(
        self,
        master: str,
        count: int,
        cpus: float,
        mem: float,
        recorder: Recorder,
        known: Mapping[str, Sequence[common.TaskStatus]] | None = None,
    ) -> None:
        """`known`: agent id -> its tasks, for agents that come back to a
        restarted master (then `count` is ignored)."""
        known = known or {}
        ids = list(known) or [""] * count
        self._channels = [
            grpc.aio.insecure_channel(master, options=KEEPALIVE_OPTIONS)
            for _ in range(math.ceil(len(ids) / AGENTS_PER_CHANNEL))
        ]
        total = common.Resources(cpus=cpus, mem=mem)
        stubs = [agent_pb2_grpc.AgentStub(c) for c in self._channels]
        self.agents = [
            LoadAgent(
                i,
                stubs[i // AGENTS_PER_CHANNEL],
                total,
                recorder,
                agent_id,
                known.get(agent_id, ()),
            )
            for i, agent_id in enumerate(ids)
        ]

    async def register(self) -> float:
        """Connects every agent; returns the seconds until all were registered."""
        start = time.perf_counter()
        for i in range(0, len(self.agents), REGISTERING_AT_ONCE):
            wave = self.agents[i : i + REGISTERING_AT_ONCE]
            for agent in wave:
                agent.start()
            await asyncio.gather(*(a.registered.wait() for a in wave))
        return time.perf_counter() - start

    @property
    def live_tasks(self) -> int:
        return sum(a.live for a in self.agents)

    async def close(self) -> None:
        await asyncio.gather(*(a.close() for a in self.agents))
        for channel in self._channels:
            await channel.close()
