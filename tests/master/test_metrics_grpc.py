"""offer.metrics on a real gRPC server (grpc.health.v1, answered by
grpc_health's own servicer) called by a real client over loopback: calls
counted by method and code, streams once when they end, unknown methods
not at all; and the event loop's lag."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from offer.metrics import GrpcServerMetrics, LoopLag, new_registry
from tests.support.cluster import wait_for

HEALTH = "grpc.health.v1.Health"


@pytest.fixture
async def served() -> AsyncIterator[tuple[CollectorRegistry, grpc.aio.Channel]]:
    registry = new_registry()
    server = grpc.aio.server(interceptors=[GrpcServerMetrics(registry).interceptor()])
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield registry, channel
    finally:
        await channel.close()
        await server.stop(grace=0)


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


async def test_unary_calls_are_counted_by_method_and_code(
    served: tuple[CollectorRegistry, grpc.aio.Channel],
) -> None:
    registry, channel = served
    stub = health_pb2_grpc.HealthStub(channel)
    for _ in range(3):
        await stub.Check(health_pb2.HealthCheckRequest(service=""))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND

    check = {"grpc_service": HEALTH, "grpc_method": "Check", "grpc_type": "unary"}
    assert sample(registry, "grpc_server_started_total", **check) == 4
    assert sample(registry, "grpc_server_handled_total", **check, grpc_code="OK") == 3
    assert sample(registry, "grpc_server_handled_total", **check, grpc_code="NOT_FOUND") == 1
    assert sample(registry, "grpc_server_handling_seconds_count", **check) == 4


async def test_a_stream_passes_its_messages_and_is_counted_once_when_it_ends(
    served: tuple[CollectorRegistry, grpc.aio.Channel],
) -> None:
    registry, channel = served
    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
    first = await watch.read()
    assert first.status == health_pb2.HealthCheckResponse.SERVING
    labels = {"grpc_service": HEALTH, "grpc_method": "Watch", "grpc_type": "server_stream"}
    assert sample(registry, "grpc_server_started_total", **labels) == 1
    assert sample(registry, "grpc_server_handling_seconds_count", **labels) == 0

    watch.cancel()

    cancelled = {**labels, "grpc_code": "CANCELLED"}
    await asyncio.to_thread(
        wait_for, lambda: sample(registry, "grpc_server_handled_total", **cancelled)
    )
    assert sample(registry, "grpc_server_handled_total", **cancelled) == 1
    assert sample(registry, "grpc_server_handling_seconds_count", **labels) == 1


async def test_unknown_methods_make_no_label_values(
    served: tuple[CollectorRegistry, grpc.aio.Channel],
) -> None:
    registry, channel = served
    for n in range(3):
        call = channel.unary_unary(f"/made.Up{n}/Method{n}")
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await call(b"")
        assert unknown.value.code() == grpc.StatusCode.UNIMPLEMENTED
    text = "\n".join(f"{s.name}{s.labels}" for family in registry.collect() for s in family.samples)
    assert "made.Up" not in text


async def test_a_blocked_loop_shows_as_lag() -> None:
    registry = new_registry()
    lag = LoopLag(registry, interval=0.05)
    lag.start()
    try:
        await asyncio.sleep(0.1)
        # Blocks the loop, as a blocking call made on it would.
        time.sleep(0.3)  # noqa: ASYNC251
        # The wake-up overdue since the block runs before this one.
        await asyncio.sleep(0.01)
    finally:
        await lag.stop()
    # The wake-up due during the block came at least 0.2 s late.
    assert sample(registry, "offer_event_loop_lag_seconds_bucket", le="0.1") < sample(
        registry, "offer_event_loop_lag_seconds_count"
    )
    assert sample(registry, "offer_event_loop_lag_seconds_sum") >= 0.2
