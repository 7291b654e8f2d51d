"""Prometheus pieces every daemon uses: its own registry, the metrics of the
calls its gRPC server answers, and how late its event loop runs.

One registry per daemon object (`new_registry`), never prometheus-client's
global one: the tests run several masters in one process, and two of them
registering the same names in one registry would clash.

Wiring a daemon::

    registry = new_registry()
    calls = GrpcServerMetrics(registry)
    server = grpc.aio.server(interceptors=[calls.interceptor(), ...])
    lag = LoopLag(registry)
    lag.start()          # on the daemon's running loop
    ...
    await lag.stop()

The gRPC names are go-grpc-prometheus's, so its dashboards and alerts
apply: `grpc_server_started_total`, `grpc_server_handled_total` and
`grpc_server_handling_seconds`, labelled by grpc_service, grpc_method,
grpc_type and (handled) grpc_code.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)

__all__ = ["GrpcServerMetrics", "LoopLag", "new_registry"]

# Calls last from a millisecond to the life of a stream (an agent's Connect
# lasts as long as the agent): the default buckets and then some long ones.
HANDLING_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    60.0, 600.0, 3600.0, float("inf"),
)  # fmt: skip
# How late a loop wakes: under a millisecond when idle, seconds when stalled.
LAG_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, float("inf"),
)  # fmt: skip


def new_registry(process: bool = True) -> CollectorRegistry:
    """A registry holding what prometheus-client's default one holds: the
    process (CPU, memory, open files), the platform and the garbage
    collector (without `process`: nothing yet). Without the `_created`
    series: they double every counter's and histogram's exposition, and
    nobody graphs them (a process-wide switch of prometheus-client's)."""
    disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream
    registry = CollectorRegistry(auto_describe=True)
    if process:
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
    return registry


# ------------------------------------------------------------------ gRPC calls

_Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]]


class GrpcServerMetrics:
    """Counts the calls a gRPC server answers, by method and status code.

    A call is counted as started when its handler begins and as handled,
    with its duration, when it ends: a stream (an agent's Connect, a
    framework's Subscribe) is counted once, when it closes, and costs
    nothing per message. Unknown methods (answered UNIMPLEMENTED before any
    handler runs) are not counted, so a caller cannot make label values
    up."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("grpc_service", "grpc_method", "grpc_type")
        self.started = Counter(
            "grpc_server_started",
            "RPCs started on the server.",
            labels,
            registry=registry,
        )
        self.handled = Counter(
            "grpc_server_handled",
            "RPCs completed on the server, by status code (streams: when they close).",
            (*labels, "grpc_code"),
            registry=registry,
        )
        self.handling = Histogram(
            "grpc_server_handling_seconds",
            "Seconds from an RPC's start to its end (streams: their whole life).",
            labels,
            buckets=HANDLING_BUCKETS,
            registry=registry,
        )

    def interceptor(self) -> grpc.aio.ServerInterceptor:
        """The server interceptor counting calls; put it first in the server's
        interceptors, so that calls other interceptors refuse (a standby's
        answer, a bad credential) are counted with their code too."""
        return _CallCounter(self)


class _CallCounter(grpc.aio.ServerInterceptor):  # type: ignore[misc]  # untyped base
    def __init__(self, metrics: GrpcServerMetrics) -> None:
        self._metrics = metrics
        # method -> (the handler it was made for, the counting one). Keyed by
        # the handler too: an interceptor after this one may answer a method
        # with another handler as its state changes (a standby's, a leader's).
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self, continuation: _Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None  # unknown method: gRPC answers UNIMPLEMENTED
        method = handler_call_details.method
        known = self._wrapped.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        # Made once per method and handler: a wrapper per call would cost a
        # busy master more than some of the calls themselves.
        wrapped = _counting(handler, _CallLabels(self._metrics, method, handler))
        self._wrapped[method] = (handler, wrapped)
        return wrapped


class _CallLabels:
    """One method's instruments, their labels resolved once."""

    def __init__(
        self, metrics: GrpcServerMetrics, method: str, handler: grpc.RpcMethodHandler
    ) -> None:
        service, _, name = method.lstrip("/").rpartition("/")
        kind = _call_type(handler)
        self.started = metrics.started.labels(service, name, kind)
        self.handling = metrics.handling.labels(service, name, kind)
        self._handled = metrics.handled
        self._labels = (service, name, kind)
        self._by_code: dict[grpc.StatusCode, Any] = {}

    def ended(self, code: grpc.StatusCode, began: float) -> None:
        self.handling.observe(time.perf_counter() - began)
        child = self._by_code.get(code)
        if child is None:
            child = self._by_code[code] = self._handled.labels(*self._labels, code.name)
        child.inc()


def _call_type(handler: grpc.RpcMethodHandler) -> str:
    if handler.request_streaming:
        return "bidi_stream" if handler.response_streaming else "client_stream"
    return "server_stream" if handler.response_streaming else "unary"


def _code(context: grpc.aio.ServicerContext, error: BaseException | None) -> grpc.StatusCode:
    """The status a call ended with: the one its handler set or aborted
    with; UNKNOWN for an exception gRPC turns into one; CANCELLED when the
    caller went away."""
    if isinstance(error, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    code = context.code()
    if code is None:
        return grpc.StatusCode.OK if error is None else grpc.StatusCode.UNKNOWN
    if isinstance(code, grpc.StatusCode):
        return code
    # grpc.aio keeps an aborted call's code as the C core's integer.
    return _BY_NUMBER.get(code, grpc.StatusCode.UNKNOWN)


_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def _counting(handler: grpc.RpcMethodHandler, call: _CallLabels) -> grpc.RpcMethodHandler:
    """The same handler, counting each call once at its start and once at its end."""
    codec = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }

    async def counted(run: Awaitable[Any], context: grpc.aio.ServicerContext) -> Any:
        call.started.inc()
        began = time.perf_counter()
        try:
            result = await run
        except BaseException as error:
            call.ended(_code(context, error), began)
            raise
        call.ended(_code(context, None), began)
        return result

    if handler.unary_unary is not None:
        inner_uu = handler.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            return await counted(inner_uu(request, context), context)

        return grpc.unary_unary_rpc_method_handler(unary_unary, **codec)
    if handler.stream_unary is not None:
        inner_su = handler.stream_unary

        async def stream_unary(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            return await counted(inner_su(requests, context), context)

        return grpc.stream_unary_rpc_method_handler(stream_unary, **codec)
    streaming = handler.unary_stream or handler.stream_stream
    assert streaming is not None

    async def streamed(request: Any, context: grpc.aio.ServicerContext) -> None:
        # A coroutine writing with context.write, not an async generator
        # yielding: gRPC drives a generator handler by this same loop of
        # writes, so the stream's messages cost what they cost unwrapped.
        await counted(_write_all(streaming(request, context), context), context)

    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(streamed, **codec)
    return grpc.stream_stream_rpc_method_handler(streamed, **codec)


async def _write_all(result: Any, context: grpc.aio.ServicerContext) -> None:
    """Runs a streaming handler: an async generator's messages are written
    as gRPC would write them; a coroutine writes its own."""
    if not hasattr(result, "__anext__"):
        await result
        return
    try:
        async for message in result:
            await context.write(message)
    finally:
        # At once, not whenever the loop finalizes it: its own `finally`
        # (a stream's link detached) runs as the call ends.
        await result.aclose()


# ------------------------------------------------------------- event-loop lag


class LoopLag:
    """How late the running event loop wakes a task that sleeps
    `interval` seconds (`offer_event_loop_lag_seconds`): a loop busy with
    one long callback, or a blocking call made on it, shows here as lag
    long before calls time out. Costs one wake-up per interval."""

    def __init__(self, registry: CollectorRegistry, interval: float = 0.25) -> None:
        self.interval = interval
        self.lag = Histogram(
            "offer_event_loop_lag_seconds",
            "Seconds the event loop woke a periodic sleep later than asked.",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Starts measuring, on the running loop (does nothing if started)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._measure(), name="loop-lag")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _measure(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lag.observe(max(0.0, loop.time() - asked))
