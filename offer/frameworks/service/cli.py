"""`offer-service`: the long-running service framework (Marathon-like)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

import grpc

from offer.daemon_cli import add_master_flag, daemon_parser, setup_logging
from offer.frameworks.sdk import Driver
from offer.frameworks.service.control import ServiceControlServicer
from offer.frameworks.service.scheduler import ServiceScheduler
from offer.frameworks.service.store import ServiceStore
from offer.v1 import service_pb2_grpc

EPILOG = """\
examples:
  offer-service --master 127.0.0.1:5050
  offerctl app deploy web.yaml && offerctl app show web
"""


def build_parser() -> argparse.ArgumentParser:
    parser = daemon_parser(
        "offer-service",
        "Keeps long-running apps (N instances of a container) running and "
        "healthy on an offer cluster. Control it with `offerctl app ...`.",
        EPILOG,
    )
    add_master_flag(parser)
    parser.add_argument(
        "--db",
        default="sqlite:///offer-state/service.db",
        help="SQLAlchemy URL of its own state (default: %(default)s)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address of its control API (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=5060, help="port of its control API (default: %(default)s)"
    )
    parser.add_argument("--name", default="offer-service", help="framework name")
    parser.add_argument("--role", default="*", help="role for fair sharing (default: *)")
    parser.add_argument(
        "--failover-timeout",
        type=float,
        default=7 * 24 * 3600.0,
        metavar="SECONDS",
        help="how long the master keeps its instances while it is away (default: 7 days)",
    )
    return parser


async def run(args: argparse.Namespace) -> None:
    scheduler = ServiceScheduler(ServiceStore(args.db))
    await scheduler.load()
    server = grpc.aio.server()
    service_pb2_grpc.add_ServiceControlServicer_to_server(ServiceControlServicer(scheduler), server)
    if server.add_insecure_port(f"{args.host}:{args.port}") == 0:
        raise OSError(f"cannot listen on {args.host}:{args.port}")
    await server.start()
    logging.getLogger(__name__).info("offer-service control API on %s:%d", args.host, args.port)
    driver = Driver(
        scheduler,
        master=args.master,
        name=args.name,
        role=args.role,
        framework_id=scheduler.framework_id,
        failover_timeout=args.failover_timeout,
        control_address=f"{args.host}:{args.port}",
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, driver.stop)
    try:
        await driver.run()
    finally:
        await server.stop(grace=1)


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level)
    try:
        asyncio.run(run(args))
    except OSError as err:
        raise SystemExit(f"offer-service: {err}") from None


if __name__ == "__main__":
    main()
