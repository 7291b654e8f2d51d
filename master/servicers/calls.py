"""How servicers call the core: errors mapped to gRPC status codes, and
state changes that always run to their end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import grpc

from master.core import ErrorKind, MasterError

T = TypeVar("T")

_CODES = {
    ErrorKind.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorKind.ALREADY_EXISTS: grpc.StatusCode.ALREADY_EXISTS,
    ErrorKind.PERMISSION_DENIED: grpc.StatusCode.PERMISSION_DENIED,
    ErrorKind.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorKind.FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorKind.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorKind.ABORTED: grpc.StatusCode.ABORTED,
}


@asynccontextmanager
async def core_errors(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    """A MasterError raised inside ends the RPC with its code and message."""
    try:
        yield
    except MasterError as err:
        await context.abort(error_code(err), str(err))


def error_code(err: MasterError) -> grpc.StatusCode:
    return _CODES[err.kind]


async def to_the_end(call: Awaitable[T], on_abandoned: Callable[[T], object] | None = None) -> T:
    """Awaits a core call that must not stop halfway.

    A core call changes memory, awaits the store, then tells the agent or
    framework. If the RPC that asked for it is cancelled (client gone,
    deadline) the call still runs to its end; `on_abandoned(result)` then
    undoes what only made sense for a live caller, such as an attached stream.
    """
    job = asyncio.ensure_future(call)
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        job.add_done_callback(lambda done: _after_abandon(done, on_abandoned))
        raise


def _after_abandon(job: asyncio.Future[T], on_abandoned: Callable[[T], object] | None) -> None:
    if job.cancelled() or job.exception() is not None:
        return  # exception() also marks a refusal as seen: nobody is left to tell
    if on_abandoned is not None:
        on_abandoned(job.result())
