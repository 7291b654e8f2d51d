"""A burst of calls larger than the master can pick up at once waits its
turn: every call is answered by the master, none is dropped unseen.

gRPC's server drops calls it has received but the application has not yet
picked up once more than 1,000 wait (all of them past 3,000), and the
caller sees a bare CANCELLED, indistinguishable from cancelling it itself.
A framework answering a large batch of offers at once hit that: its
accepts vanished and their offers stayed held until they expired."""

from __future__ import annotations

import asyncio
from collections import Counter

import grpc

from offer.grpc_options import KEEPALIVE_OPTIONS
from offer.v1 import scheduler_pb2 as pb
from offer.v1 import scheduler_pb2_grpc
from tests.support.cluster import Cluster

BURST = 4_000


async def test_a_burst_of_calls_on_one_connection_is_answered_whole(cluster: Cluster) -> None:
    # Without the per-principal rate limit, which would answer most of the
    # burst with its own RESOURCE_EXHAUSTED: this is about what reaches it.
    cluster.start_master("--rate-limit", "0")
    async with grpc.aio.insecure_channel(cluster.address, options=KEEPALIVE_OPTIONS) as channel:
        stub = scheduler_pb2_grpc.SchedulerStub(channel)

        async def revive(n: int) -> str:
            # An unknown framework: the master itself must answer NOT_FOUND.
            try:
                await stub.Revive(pb.ReviveRequest(framework_id=f"nobody-{n}"), timeout=60)
            except grpc.aio.AioRpcError as err:
                return err.code().name
            return "OK"

        answers = Counter(await asyncio.gather(*(revive(n) for n in range(BURST))))

    assert answers == Counter({"NOT_FOUND": BURST})
