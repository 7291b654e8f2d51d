"""`offer-agent`: the command line of the node daemon."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path

from agent.address import AddressError, default_address, parse_address
from agent.daemon import AgentDaemon, AgentRefusedError
from agent.machine import machine_resources, parse_attributes
from agent.sandbox_gc import (
    DEFAULT_DELAY,
    DEFAULT_DISK_THRESHOLD,
    GcPolicy,
    format_duration,
    parse_duration,
)
from offer.daemon_cli import add_http_flags, add_master_flag, daemon_parser, setup_logging
from offer.exclusive import InUseError, check_port_free, lock_file
from offer.http.server import HttpServer
from offer.resources import (
    AgentResources,
    ResourceParseError,
    Resources,
    parse_agent_resources,
    parse_resources,
)
from offer.security.client import ClientSecurity, ClientSecurityError
from offer.security.flags import add_client_flags

# /metrics and /health (the master's is 5051).
DEFAULT_HTTP_PORT = 5052

EPILOG = """\
examples:
  offer-agent --master 127.0.0.1:5050
  offer-agent --master 10.0.0.5:5050 --resources "cpus:2;mem:1024;ports:[31000-31099]"
  offer-agent --master 10.0.0.5:5050 --reserve "cpus:1;mem:2048" --attributes "rack:r1;zone:a"
  offer-agent --master 10.0.0.5:5050 --advertise-address 10.0.0.7 --resources "ports:[31000-31999]"
"""


def _resources(text: str) -> Resources:
    try:
        return parse_resources(text)
    except ResourceParseError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _agent_resources(text: str) -> AgentResources:
    try:
        return parse_agent_resources(text)
    except ResourceParseError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _attributes(text: str) -> dict[str, str]:
    try:
        return parse_attributes(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _address(text: str) -> str:
    try:
        return parse_address(text)
    except AddressError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _percent(text: str) -> float:
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage from 0 to 100")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = daemon_parser(
        "offer-agent",
        "The offer agent: registers this machine's resources with the master "
        "and runs the tasks it is given as Docker containers.",
        EPILOG,
    )
    add_master_flag(parser)
    parser.add_argument(
        "--resources",
        type=_agent_resources,
        default=None,
        help="offer exactly this instead of the machine's totals, e.g. 'cpus:2;mem:1024'; "
        "an amount may be reserved for a role, e.g. 'cpus(prod):2;mem(prod):2048;cpus:2;mem:2048'",
    )
    parser.add_argument(
        "--reserve",
        type=_resources,
        default=None,
        help="keep this much of the machine's totals back, e.g. 'cpus:0.5;mem:512'",
    )
    parser.add_argument(
        "--attributes",
        type=_attributes,
        default={},
        help="free-form NAME:VALUE pairs for placement constraints, e.g. 'rack:r1;zone:a'",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path("offer-state/agent"),
        help="where the agent keeps its id and state (default: %(default)s)",
    )
    parser.add_argument(
        "--hostname",
        default=socket.gethostname(),
        help="hostname to register (default: this machine's)",
    )
    parser.add_argument(
        "--advertise-address",
        type=_address,
        default=None,
        metavar="IP",
        help="where other hosts reach this host's tasks: published ports bind to it, health "
        "checks and other tasks' links dial it; an IP literal (default: the host of "
        "DOCKER_HOST when it names an engine over TCP, else this host's address on the "
        "route to the master, so 127.0.0.1 with a master on loopback)",
    )
    parser.add_argument(
        "--usage-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how often to report the machine's and tasks' usage (default: %(default)s)",
    )
    parser.add_argument(
        "--pids-limit",
        type=int,
        default=1024,
        metavar="N",
        help="most processes one container may run (default: %(default)s)",
    )
    parser.add_argument(
        "--sandbox-gc-delay",
        type=_duration,
        default=DEFAULT_DELAY,
        metavar="DURATION",
        help="how long an ended task's sandbox (its output, for offerctl logs) is kept before "
        "it is deleted: seconds, or e.g. 30m, 12h, 7d (default: "
        f"{format_duration(DEFAULT_DELAY)}); a running task's sandbox is never deleted",
    )
    parser.add_argument(
        "--sandbox-gc-disk-threshold",
        type=_percent,
        default=DEFAULT_DISK_THRESHOLD,
        metavar="PERCENT",
        help="when the work dir's filesystem is fuller than this, ended tasks' sandboxes are "
        "deleted before their delay, oldest first, until it is not (default: %(default)g)",
    )
    add_http_flags(parser, DEFAULT_HTTP_PORT, host="127.0.0.1")
    add_client_flags(parser)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    try:
        address = args.advertise_address or default_address(
            # The masters are alike here: the route to the first one.
            args.master[0],
            os.environ.get("DOCKER_HOST"),
        )
    except AddressError as err:
        build_parser().error(str(err))
    args.work_dir.mkdir(parents=True, exist_ok=True)
    if args.resources and args.reserve:
        build_parser().error("--reserve applies to the machine's totals; drop it or --resources")
    total = args.resources.total if args.resources else None
    total = total or machine_resources(str(args.work_dir), args.reserve)
    if not args.usage_interval > 0:
        build_parser().error("--usage-interval must be a number of seconds > 0")
    if args.pids_limit < 1:
        build_parser().error("--pids-limit must be a whole number >= 1")
    try:
        security = ClientSecurity.from_args(args)
    except ClientSecurityError as err:
        build_parser().error(str(err))
    try:
        # Held while the agent runs: two agents on one work dir would share
        # its agent id and take it from each other.
        work_dir_lock = lock_file(
            args.work_dir / "agent.lock", f"work dir {args.work_dir}", "--work-dir"
        )
        check_port_free(args.http_host, args.http_port, flag="--http-port")
    except InUseError as err:
        print(f"offer-agent: {err}", file=sys.stderr)
        sys.exit(1)
    daemon = AgentDaemon(
        args.master,
        args.work_dir,
        total,
        args.hostname,
        args.attributes,
        args.usage_interval,
        security=security,
        pids_limit=args.pids_limit,
        address=address,
        sandbox_gc=GcPolicy(args.sandbox_gc_delay, args.sandbox_gc_disk_threshold),
        reservations=dict(args.resources.reserved) if args.resources else None,
    )
    http = HttpServer(
        args.http_host, args.http_port, daemon.registry, daemon.healthy, "offer-agent"
    )
    try:
        asyncio.run(_run_until_signalled(daemon, http))
    except AgentRefusedError as err:
        print(f"offer-agent: the master refused this agent: {err}", file=sys.stderr)
        sys.exit(1)
    except OSError as err:
        # The HTTP port, taken since it was checked.
        print(f"offer-agent: --http-port {args.http_port}: {err}", file=sys.stderr)
        sys.exit(1)
    finally:
        work_dir_lock.release()


async def _run_until_signalled(daemon: AgentDaemon, http: HttpServer) -> None:
    await http.start()
    task = asyncio.create_task(daemon.run())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        logging.getLogger(__name__).info("offer-agent stopped; its containers keep running")
    finally:
        await http.stop()


if __name__ == "__main__":
    main()
