"""The standby answer: until this master leads, every call of every
service is answered UNAVAILABLE with the leader's address, in the details
and in the trailing metadata (offer/leader.py), as Mesos's standby masters
redirect to the leading one.

Operator.GetStatus is let through: it says itself whether this master
stands by, and names the leader (master/servicers/operator.py); so are
health and reflection (offer/serving.py), which say NOT_SERVING.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from offer.leader import LEADER_KEY, standby_details
from offer.serving import is_open

# How long a standby waits for a streaming call's first message before it
# answers: the client sends it at once.
FIRST_MESSAGE_WAIT = 1.0

# Answered by the servicer on a standby too.
ALWAYS_SERVED = frozenset({"/offer.v1.Operator/GetStatus"})


class StandbyGate(grpc.aio.ServerInterceptor):  # type: ignore[misc]  # untyped base
    """Answers every call with the standby answer while `serving` is False;
    `leader()` names the leader as this master last saw it (None: unknown).
    The first interceptor, so that a standby asks for no credentials."""

    def __init__(self) -> None:
        self.leader: Callable[[], str | None] = lambda: None
        self.serving = False
        self._answers = {
            (False, False): grpc.unary_unary_rpc_method_handler(self._refuse),
            (False, True): grpc.unary_stream_rpc_method_handler(self._refuse),
            (True, False): grpc.stream_unary_rpc_method_handler(self._refuse),
            (True, True): grpc.stream_stream_rpc_method_handler(self._refuse),
        }

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if self.serving or handler is None or method in ALWAYS_SERVED or is_open(method):
            return handler
        return self._answers[(handler.request_streaming, handler.response_streaming)]

    async def _refuse(self, request: Any, context: grpc.aio.ServicerContext) -> None:
        if hasattr(request, "__aiter__"):
            # A streaming client writes its first message at once: answering
            # while that write is in flight raced it, and the client was told
            # "Internal error from Core" instead of this answer (seen with
            # agents under load). So the first message is read, briefly.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(anext(aiter(request), None), FIRST_MESSAGE_WAIT)
        leader = self.leader()
        await context.abort(
            grpc.StatusCode.UNAVAILABLE,
            standby_details(leader),
            trailing_metadata=((LEADER_KEY, leader),) if leader else (),
        )
