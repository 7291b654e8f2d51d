"""A server's side of security (the master's, and the frameworks' control
APIs): who is calling (authentication), how fast (rate limits), over what
(TLS), and where it may listen at all.

Every call passes one interceptor that checks the caller's principal and
secret, slows a principal that floods, and leaves the principal in a
context variable for the servicer's authorization checks."""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import inspect
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.message import DecodeError, Message

from offer.exclusive import listen
from offer.security.acl import Acls
from offer.security.credentials import PRINCIPAL_KEY, SECRET_KEY, Credentials
from offer.security.files import read_file
from offer.security.limits import message_problem
from offer.security.ratelimit import RateLimiter, caller_key
from offer.serving import is_open

log = logging.getLogger(__name__)

_PRINCIPAL: contextvars.ContextVar[str] = contextvars.ContextVar("principal", default="")
# A flooding caller waits for its turn up to this long; beyond, it is refused.
MAX_WAIT_SECONDS = 2.0


def principal() -> str:
    """The principal of the call being served ("" when none was given)."""
    return _PRINCIPAL.get()


class ServerSecurityError(ValueError):
    """Security flags that cannot work together; the message says what to change."""


@dataclass(frozen=True)
class ServerSecurity:
    credentials: Credentials | None = None
    acls: Acls = field(default_factory=Acls)
    tls_cert: bytes | None = None
    tls_key: bytes | None = None
    # Set: clients must present a certificate signed by this CA (mutual TLS).
    tls_client_ca: bytes | None = None
    # Calls a second per principal (0: no limit), in bursts of `rate_burst`.
    rate_limit: float = 0.0
    rate_burst: float = 0.0
    # Services (full gRPC names) the rate limit applies to.
    limited: frozenset[str] = frozenset()
    # Every request message is checked against offer.security.limits.
    check_messages: bool = True

    @property
    def authenticates(self) -> bool:
        return self.credentials is not None

    def bind(self, server: grpc.aio.Server, host: str, port: int) -> int:
        """Listens on host:port (TLS when a certificate was given); the port
        bound. Raises InUseError naming what holds a taken port."""
        if self.tls_cert is None or self.tls_key is None:
            return listen(server, host, port)
        tls = grpc.ssl_server_credentials(
            [(self.tls_key, self.tls_cert)],
            root_certificates=self.tls_client_ca,
            require_client_auth=self.tls_client_ca is not None,
        )
        return listen(server, host, port, tls)

    def interceptors(self) -> list[grpc.aio.ServerInterceptor]:
        if self.credentials is None and not self.rate_limit and not self.check_messages:
            return []
        return [_Guard(self)]

    def describe(self) -> str:
        """What is on, for the start-up log line (never a secret)."""
        tls = "off"
        if self.tls_cert is not None:
            tls = "mutual" if self.tls_client_ca is not None else "on"
        auth = "on" if self.credentials is not None else "OFF"
        acls = "from file" if self.acls.configured else "none (all principals may register)"
        limit = f"{self.rate_limit:g}/s per principal" if self.rate_limit else "off"
        return f"authentication {auth}, TLS {tls}, ACLs {acls}, rate limit {limit}"


def add_server_flags(parser: argparse.ArgumentParser, rate_limit: float = 0.0) -> None:
    group = parser.add_argument_group("security", "see docs/security.md")
    group.add_argument(
        "--credentials",
        metavar="FILE",
        help="principals and secrets callers must present (JSON as Mesos's, or "
        "'principal secret' lines); without it no caller is authenticated",
    )
    group.add_argument(
        "--acls", metavar="FILE", help="authorization rules (YAML); needs --credentials"
    )
    group.add_argument("--tls-cert", metavar="PEM", help="server certificate; turns TLS on")
    group.add_argument("--tls-key", metavar="PEM", help="the server certificate's private key")
    group.add_argument(
        "--tls-client-ca",
        metavar="PEM",
        help="require client certificates signed by this CA (mutual TLS)",
    )
    group.add_argument(
        "--insecure",
        action="store_true",
        help="allow listening on a non-loopback address without --credentials",
    )
    group.add_argument(
        "--rate-limit",
        type=float,
        default=rate_limit,
        metavar="CALLS",
        help="calls a second per principal (or client host, unauthenticated) before it is "
        "slowed (0: none; default: %(default)s)",
    )


def from_args(
    args: argparse.Namespace, host: str, limited: frozenset[str] = frozenset()
) -> ServerSecurity:
    """The server's security from its flags; refuses combinations that would
    leave it open by accident."""
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ServerSecurityError("--tls-cert and --tls-key go together")
    if args.tls_client_ca and not args.tls_cert:
        raise ServerSecurityError("--tls-client-ca needs --tls-cert and --tls-key")
    if args.acls and not args.credentials:
        raise ServerSecurityError(
            "--acls needs --credentials: without authentication a principal is only a claim"
        )
    if not (args.rate_limit >= 0):
        raise ServerSecurityError("--rate-limit must be a number >= 0")
    if not is_loopback(host) and not args.credentials and not args.insecure:
        raise ServerSecurityError(
            f"listening on {host} lets anyone on the network in: give --credentials "
            "(and --tls-cert/--tls-key), or --insecure to accept that"
        )
    return ServerSecurity(
        credentials=Credentials.load(args.credentials) if args.credentials else None,
        acls=Acls.load(args.acls) if args.acls else Acls(),
        tls_cert=read_pem(args.tls_cert, "--tls-cert"),
        tls_key=read_pem(args.tls_key, "--tls-key"),
        tls_client_ca=read_pem(args.tls_client_ca, "--tls-client-ca"),
        rate_limit=args.rate_limit,
        rate_burst=max(1.0, 2 * args.rate_limit),
        limited=limited,
    )


def _checked(request: Any) -> str | None:
    if isinstance(request, _Undecodable):
        return request.problem
    return message_problem(request) if isinstance(request, Message) else None


@dataclass(frozen=True)
class _Undecodable:
    """Bytes that are not the request message: refused as INVALID_ARGUMENT
    (raised from gRPC's deserializer, they would surface as UNKNOWN)."""

    problem: str


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except DecodeError as err:
            return _Undecodable(f"the request is not a valid protobuf message: {err}")

    return decode


def read_pem(path: str | None, flag: str) -> bytes | None:
    """The file a certificate flag names (None: not given); ServerSecurityError
    naming the flag if it cannot be read."""
    return None if path is None else read_file(path, f"{flag} file", ServerSecurityError)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Guard(grpc.aio.ServerInterceptor):
    def __init__(self, security: ServerSecurity) -> None:
        self._credentials = security.credentials
        self._limited = security.limited
        self._check = _checked if security.check_messages else _unchecked
        self._limiter = (
            RateLimiter(security.rate_limit, security.rate_burst) if security.rate_limit else None
        )
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = handler_call_details.method
        wrapped = self._wrapped.get(method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(handler_call_details)
        if handler is None or is_open(method):
            # Health and reflection: probes and grpcurl carry no credentials.
            return handler
        service = method.lstrip("/").rsplit("/", 1)[0]
        limited = self._limiter is not None and service in self._limited
        wrapped = _wrapped(handler, lambda context: self._admit(context, limited), self._check)
        # One per method, made on its first call: building it per call costs
        # a busy master more than some of the calls themselves.
        self._wrapped[method] = wrapped
        return wrapped

    async def _admit(self, context: grpc.aio.ServicerContext, limited: bool) -> None:
        metadata = {m.key: m.value for m in context.invocation_metadata() or ()}
        who = str(metadata.get(PRINCIPAL_KEY, ""))
        if self._credentials is not None:
            if not who:
                await context.abort(
                    grpc.StatusCode.UNAUTHENTICATED,
                    "this server requires credentials: give --principal and --secret-file "
                    "(or OFFER_PRINCIPAL and OFFER_SECRET)",
                )
            if not self._credentials.check(who, str(metadata.get(SECRET_KEY, ""))):
                # One answer for an unknown principal and a wrong secret.
                log.warning("refused a call to %s: bad credentials", context.peer())
                await context.abort(
                    grpc.StatusCode.UNAUTHENTICATED,
                    "wrong principal or secret; check --principal and --secret-file",
                )
        _PRINCIPAL.set(who)
        if limited and self._limiter is not None:
            key = caller_key(who, context.peer())
            wait = self._limiter.delay(key, time.monotonic())
            if wait > MAX_WAIT_SECONDS:
                self._limiter.refund(key)
                await context.abort(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"too many calls from {key}: at most {self._limiter.rate:g} a second; "
                    "slow down and retry",
                )
            if wait > 0:
                await asyncio.sleep(wait)


Admit = Callable[[grpc.aio.ServicerContext], Awaitable[None]]
Check = Callable[[Any], "str | None"]


def _unchecked(request: Any) -> str | None:
    return request.problem if isinstance(request, _Undecodable) else None


async def _refuse_bad(request: Any, check: Check, context: grpc.aio.ServicerContext) -> None:
    problem = check(request)
    if problem:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, problem)


async def _each_checked(
    requests: AsyncIterator[Any], check: Check, context: grpc.aio.ServicerContext
) -> AsyncIterator[Any]:
    async for request in requests:
        await _refuse_bad(request, check, context)
        yield request


def _wrapped(handler: grpc.RpcMethodHandler, admit: Admit, check: Check) -> grpc.RpcMethodHandler:
    """The same handler, admitting each call and checking each request
    message before the handler sees it."""
    codec = {
        "request_deserializer": _tolerant(handler.request_deserializer),
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        inner_uu = handler.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await admit(context)
            await _refuse_bad(request, check, context)
            return await inner_uu(request, context)

        return grpc.unary_unary_rpc_method_handler(unary_unary, **codec)
    if handler.stream_unary is not None:
        inner_su = handler.stream_unary

        async def stream_unary(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            await admit(context)
            return await inner_su(_each_checked(requests, check, context), context)

        return grpc.stream_unary_rpc_method_handler(stream_unary, **codec)
    streaming = handler.unary_stream or handler.stream_stream
    assert streaming is not None
    client_streams = handler.stream_stream is not None

    async def streamed(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        await admit(context)
        if client_streams:
            request = _each_checked(request, check, context)
        else:
            await _refuse_bad(request, check, context)
        result = streaming(request, context)
        if inspect.isasyncgen(result):
            async for item in result:
                yield item
        else:  # a coroutine that writes with context.write
            await result

    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(streamed, **codec)
    return grpc.stream_stream_rpc_method_handler(streamed, **codec)
