"""offerctl's task lists follow the master's pages (issue 26): --all gets
every task across pages, --limit past a page gets exactly that many. A
real master in-process (tests/support/inprocess.py) behind a real gRPC
server on 127.0.0.1, read by offerctl's own fetch over a real channel."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import grpc

from master.logs import LogRelay
from master.servicers.operator import OperatorServicer
from master.task_pages import MAX_PAGE
from offer.ctl.lists import fetch_tasks
from offer.resources import Resources
from offer.tasks import TaskSpec
from offer.v1 import operator_pb2 as pb
from offer.v1 import operator_pb2_grpc
from tests.support.inprocess import InProcessMaster, in_process_master

TASKS = MAX_PAGE + 200
_ids = itertools.count(1)


async def _launch(m: InProcessMaster, framework_id: str, count: int) -> None:
    m.cycle()
    [offer] = m.master.offers_view(framework_id)
    specs = [TaskSpec(f"t{next(_ids)}", "t", Resources(0.01, 8), "busybox") for _ in range(count)]
    await m.master.framework_calls.accept(framework_id, [offer.offer_id], specs, 0.0)


async def test_all_follows_the_pages_and_a_limit_spans_them(tmp_path: Path) -> None:
    async with in_process_master(tmp_path) as m:
        await m.add_agent(Resources(64, 65536))
        fw, _ = await m.subscribe()
        for _ in range(2):  # an Accept launches at most 1000 tasks
            await _launch(m, fw, TASKS // 2)
            await m.clock.advance(1)
        server = grpc.aio.server()
        operator_pb2_grpc.add_OperatorServicer_to_server(
            OperatorServicer(m.master, LogRelay(m.master)), server
        )
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = operator_pb2_grpc.OperatorStub(channel)
                every, more = await asyncio.to_thread(
                    fetch_tasks, stub, pb.ListTasksRequest(), None
                )
                some, rest = await asyncio.to_thread(
                    fetch_tasks, stub, pb.ListTasksRequest(), MAX_PAGE + 5
                )
        finally:
            await server.stop(None)
        ids = [t["task_id"] for t in every]
        assert (len(ids), len(set(ids)), more) == (TASKS, TASKS, 0)
        assert [t["task_id"] for t in some] == ids[: MAX_PAGE + 5]
        assert rest == TASKS - MAX_PAGE - 5
