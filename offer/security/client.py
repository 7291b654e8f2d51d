"""A client's side of security: its principal and secret (sent as gRPC
metadata on every call) and TLS, for offerctl, agents, frameworks and the SDK.

Each comes from a flag, else an environment variable:

    --principal / OFFER_PRINCIPAL
    --secret-file / OFFER_SECRET_FILE   (or the secret itself in OFFER_SECRET)
    --tls-ca / OFFER_TLS_CA             the CA that signed the server's certificate
    --tls-cert, --tls-key / OFFER_TLS_CERT, OFFER_TLS_KEY   for mutual TLS
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from offer.security.credentials import PRINCIPAL_KEY, SECRET_KEY
from offer.security.files import read_file

Options = Sequence[tuple[str, Any]]


class ClientSecurityError(ValueError):
    """A file named by a flag that cannot be read; the message says which."""


@dataclass(frozen=True)
class ClientSecurity:
    principal: str = ""
    secret: str = ""
    tls_ca: bytes | None = None
    tls_cert: bytes | None = None
    tls_key: bytes | None = None

    def __repr__(self) -> str:  # never the secret
        return f"ClientSecurity(principal={self.principal!r}, tls={self.tls_ca is not None})"

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        if not self.principal:
            return ()
        return ((PRINCIPAL_KEY, self.principal), (SECRET_KEY, self.secret))

    def _tls(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.tls_ca,
            private_key=self.tls_key,
            certificate_chain=self.tls_cert,
        )

    def aio_channel(self, address: str, options: Options = ()) -> grpc.aio.Channel:
        """An asyncio channel to `address` that authenticates every call."""
        interceptors = [kind(self.metadata) for kind in _AIO_KINDS] if self.metadata else None
        if self.tls_ca is not None:
            return grpc.aio.secure_channel(
                address, self._tls(), options=options, interceptors=interceptors
            )
        return grpc.aio.insecure_channel(address, options=options, interceptors=interceptors)

    def channel(self, address: str, options: Options = ()) -> grpc.Channel:
        """A blocking channel to `address` that authenticates every call."""
        if self.tls_ca is not None:
            channel = grpc.secure_channel(address, self._tls(), options=options)
        else:
            channel = grpc.insecure_channel(address, options=options)
        if self.metadata:
            return grpc.intercept_channel(channel, _SyncMetadata(self.metadata))
        return channel

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ClientSecurity:
        """From the flags `add_client_flags` added (which default to the environment)."""
        secret = os.environ.get("OFFER_SECRET", "")
        if args.secret_file:
            secret = _read(args.secret_file, "--secret-file").decode().strip()
        if args.principal and not secret:
            raise ClientSecurityError(
                f"principal {args.principal!r} has no secret: give --secret-file or OFFER_SECRET"
            )
        if (args.tls_cert is None) != (args.tls_key is None):
            raise ClientSecurityError("--tls-cert and --tls-key go together (mutual TLS)")
        if args.tls_cert and not args.tls_ca:
            raise ClientSecurityError("--tls-cert needs --tls-ca: mutual TLS is TLS first")
        return cls(
            principal=args.principal,
            secret=secret,
            tls_ca=_read(args.tls_ca, "--tls-ca") if args.tls_ca else None,
            tls_cert=_read(args.tls_cert, "--tls-cert") if args.tls_cert else None,
            tls_key=_read(args.tls_key, "--tls-key") if args.tls_key else None,
        )


def _read(path: str, flag: str) -> bytes:
    return read_file(path, f"{flag} file", ClientSecurityError)


# ----------------------------------------------------------- interceptors


def _with_metadata(details: Any, extra: Sequence[tuple[str, str]], make: Callable[..., Any]) -> Any:
    return make(
        details.method,
        details.timeout,
        (*(details.metadata or ()), *extra),
        details.credentials,
        details.wait_for_ready,
    )


class _AioMetadata:
    """Adds the principal and secret to the calls of an asyncio channel. One
    subclass per kind of call: an aio channel files each interceptor under
    the first kind it implements only."""

    def __init__(self, metadata: Sequence[tuple[str, str]]) -> None:
        self._metadata = metadata

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        return _with_metadata(details, self._metadata, grpc.aio.ClientCallDetails)

    async def _call(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _AioUnaryUnary(_AioMetadata, grpc.aio.UnaryUnaryClientInterceptor):
    intercept_unary_unary = _AioMetadata._call


class _AioUnaryStream(_AioMetadata, grpc.aio.UnaryStreamClientInterceptor):
    intercept_unary_stream = _AioMetadata._call


class _AioStreamUnary(_AioMetadata, grpc.aio.StreamUnaryClientInterceptor):
    intercept_stream_unary = _AioMetadata._call


class _AioStreamStream(_AioMetadata, grpc.aio.StreamStreamClientInterceptor):
    intercept_stream_stream = _AioMetadata._call


_AIO_KINDS = (_AioUnaryUnary, _AioUnaryStream, _AioStreamUnary, _AioStreamStream)


@dataclass(frozen=True)
class _SyncDetails(grpc.ClientCallDetails):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: bool | None


class _SyncMetadata(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """The same for a blocking channel."""

    def __init__(self, metadata: Sequence[tuple[str, str]]) -> None:
        self._metadata = metadata

    def _details(self, details: Any) -> Any:
        return _with_metadata(details, self._metadata, _SyncDetails)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, request_iter: Any) -> Any:
        return continuation(self._details(details), request_iter)

    def intercept_stream_stream(self, continuation: Any, details: Any, request_iter: Any) -> Any:
        return continuation(self._details(details), request_iter)
