"""What the two framework daemons (offer-service, offer-batch) share: their
flags, and running a scheduler with its control API beside the driver."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any

import grpc
from prometheus_client import CollectorRegistry

from frameworks.sdk import Driver, Scheduler
from offer.addresses import host_port
from offer.daemon_cli import add_http_flags, add_master_flag, daemon_parser, setup_logging
from offer.exclusive import check_port_free, lock_state_file
from offer.grpc_options import SERVER_OPTIONS
from offer.http.server import HttpServer
from offer.metrics import GrpcServerMetrics, LoopLag, new_registry
from offer.security.client import ClientSecurity, ClientSecurityError
from offer.security.credentials import Credentials, CredentialsError
from offer.security.flags import add_client_flags
from offer.security.server import ServerSecurity, ServerSecurityError, read_pem
from offer.serving import Serving


def framework_parser(
    prog: str, description: str, epilog: str, *, db: str, port: int
) -> argparse.ArgumentParser:
    parser = daemon_parser(prog, description, epilog)
    add_master_flag(parser)
    parser.add_argument(
        "--db", default=db, help="SQLAlchemy URL of its own state (default: %(default)s)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address of its control API (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=port, help="port of its control API (default: %(default)s)"
    )
    parser.add_argument("--name", default=prog, help="framework name (default: %(default)s)")
    parser.add_argument("--role", default="*", help="role for fair sharing (default: *)")
    parser.add_argument(
        "--failover-timeout",
        type=float,
        default=7 * 24 * 3600.0,
        metavar="SECONDS",
        help="how long the master keeps its tasks while it is away (default: 7 days)",
    )
    parser.add_argument(
        "--control-credentials",
        metavar="FILE",
        help="principals and secrets callers of its control API must present "
        "(as the master's --credentials); without it the API is open to loopback",
    )
    parser.add_argument(
        "--control-tls-cert",
        metavar="PEM",
        help="certificate of its control API; turns TLS on there (callers then verify "
        "it with --tls-ca / OFFER_TLS_CA, as they do the master)",
    )
    parser.add_argument(
        "--control-tls-key", metavar="PEM", help="the control API certificate's private key"
    )
    # /metrics and /health next to the control API's port.
    add_http_flags(parser, port + 1, host=None)
    add_client_flags(parser)
    return parser


def control_security(args: argparse.Namespace) -> ServerSecurity:
    """The control API's credentials and TLS, from the flags."""
    if bool(args.control_tls_cert) != bool(args.control_tls_key):
        raise ServerSecurityError("--control-tls-cert and --control-tls-key go together")
    return ServerSecurity(
        credentials=Credentials.load(args.control_credentials)
        if args.control_credentials
        else None,
        tls_cert=read_pem(args.control_tls_cert, "--control-tls-cert"),
        tls_key=read_pem(args.control_tls_key, "--control-tls-key"),
    )


async def serve(
    args: argparse.Namespace,
    scheduler: Scheduler,
    framework_id: str,
    add_control: Callable[[grpc.aio.Server], None],
    control_service: str,
    registry: CollectorRegistry | None = None,
) -> None:
    """Serves the control API (`control_service`, its full gRPC name) and
    its HTTP port (`registry` on /metrics, with the driver's counters added),
    and runs the driver until SIGTERM or SIGINT."""
    registry = registry or new_registry()
    control = control_security(args)
    # Calls counted first, so that ones the guard refuses count with their code.
    calls = GrpcServerMetrics(registry).interceptor()
    server = grpc.aio.server(options=SERVER_OPTIONS, interceptors=[calls, *control.interceptors()])
    add_control(server)
    serving = Serving([control_service])
    serving.add_to(server)
    control.bind(server, args.host, args.port)  # InUseError names who holds the port
    http = HttpServer(
        http_host(args),
        args.http_port,
        registry,
        lambda: serving.serving,
        args.name,
    )
    lag = LoopLag(registry)
    lag.start()
    await server.start()
    await http.start()
    # Its state was loaded before: the control API answers from now on.
    await serving.set(True)
    control_address = host_port(args.host, args.port)
    logging.getLogger(__name__).info("%s control API on %s", args.name, control_address)
    driver = Driver(
        scheduler,
        master=args.master,
        name=args.name,
        role=args.role,
        framework_id=framework_id,
        failover_timeout=args.failover_timeout,
        control_address=control_address,
        security=ClientSecurity.from_args(args),
        registry=registry,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, driver.stop)
    try:
        await driver.run()
    finally:
        await serving.drain()
        await http.stop()
        await server.stop(grace=1)
        await lag.stop()


def http_host(args: argparse.Namespace) -> str:
    return str(args.host if args.http_host is None else args.http_host)


def main(
    prog: str,
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, None]],
    argv: list[str] | None,
) -> None:
    args = parser.parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    try:
        check_port_free(args.host, args.port)
        check_port_free(http_host(args), args.http_port, flag="--http-port")
        # Held while it runs: a second copy on the same database would launch
        # the same work again beside this one.
        state_lock = lock_state_file(args.db)
        try:
            asyncio.run(run(args))
        finally:
            if state_lock is not None:
                state_lock.release()
    except (OSError, ClientSecurityError, CredentialsError, ServerSecurityError) as err:
        raise SystemExit(f"{prog}: {err}") from None
