"""Maps the core's refusals to gRPC status codes, in one place."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc

from offer.master.core import ErrorKind, MasterError

T = TypeVar("T")

_CODES = {
    ErrorKind.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorKind.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorKind.FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
}


async def call_core(
    context: grpc.aio.ServicerContext, fn: Callable[..., T | Awaitable[T]], *args: object
) -> T:
    """Runs a core call; a MasterError ends the RPC with its code and message."""
    try:
        result = fn(*args)
        if inspect.isawaitable(result):
            return await result
        return result
    except MasterError as err:
        await context.abort(_CODES[err.kind], str(err))
        raise  # abort raises; this keeps type checkers content
