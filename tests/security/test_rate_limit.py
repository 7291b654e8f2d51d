"""Rate limiting counts a caller, not a connection, and forgets callers that
have gone quiet: memory stays flat however many connections come and go."""

from __future__ import annotations

import grpc
import pytest

from offer.security.ratelimit import RateLimiter, caller_key
from offer.security.server import ServerSecurity
from offer.v1 import operator_pb2

SERVICE = "offer.v1.Operator"


@pytest.mark.parametrize(
    ("principal", "peer", "key"),
    [
        ("ops", "ipv4:127.0.0.1:53122", "ops"),
        ("", "ipv4:127.0.0.1:53122", "127.0.0.1"),
        ("", "ipv6:[::1]:41000", "::1"),
        ("", "ipv6:[2001:db8::7]:41000", "2001:db8::7"),
        ("", "unix:/run/offer.sock", "unix:/run/offer.sock"),
        ("", "", ""),
    ],
)
def test_a_caller_is_its_principal_or_its_host(principal: str, peer: str, key: str) -> None:
    assert caller_key(principal, peer) == key


def test_buckets_of_callers_that_went_quiet_are_dropped() -> None:
    limiter = RateLimiter(rate=10, burst=5)
    for n in range(10_000):
        limiter.delay(f"10.0.{n // 256}.{n % 256}", now=0.0)
    assert len(limiter) > 9_000  # all still short of a full bucket
    # A second later every bucket has filled up again: nothing to remember.
    for _ in range(1024):
        limiter.delay("busy", now=1.0)
    assert len(limiter) == 1
    # A flood keeps its debt: it is not forgiven by a sweep.
    assert limiter.delay("busy", now=1.0) > 0


async def test_ten_thousand_short_connections_leave_one_bucket() -> None:
    """Each call on a connection of its own, from a port of its own (what
    10,000 `offerctl` runs look like): one host, one bucket, which also
    means a flooding client gets no fresh burst per connection."""
    security = ServerSecurity(
        rate_limit=1_000_000, rate_burst=1_000_000, limited=frozenset({SERVICE})
    )
    [guard] = security.interceptors()
    server = grpc.aio.server(interceptors=[guard])

    async def get_status(
        request: operator_pb2.GetStatusRequest, context: grpc.aio.ServicerContext
    ) -> operator_pb2.GetStatusResponse:
        return operator_pb2.GetStatusResponse()

    handler = grpc.unary_unary_rpc_method_handler(
        get_status,
        request_deserializer=operator_pb2.GetStatusRequest.FromString,
        response_serializer=operator_pb2.GetStatusResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler(SERVICE, {"GetStatus": handler})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        for _ in range(10_000):
            # A channel of its own subchannel pool: a new TCP connection.
            async with grpc.aio.insecure_channel(
                f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
            ) as channel:
                call = channel.unary_unary(
                    f"/{SERVICE}/GetStatus",
                    request_serializer=operator_pb2.GetStatusRequest.SerializeToString,
                    response_deserializer=operator_pb2.GetStatusResponse.FromString,
                )
                await call(operator_pb2.GetStatusRequest(), timeout=5)
    finally:
        await server.stop(None)
    limiter = guard._limiter  # type: ignore[attr-defined]
    assert limiter is not None and len(limiter) == 1
