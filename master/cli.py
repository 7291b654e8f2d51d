"""`offer-master`: the command line of the master daemon."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from master.core import MasterConfig
from master.leadership import DEFAULT_LEASE_SECONDS
from master.server import RATE_LIMITED, run_master
from master.ui import add_ui_flags, ui_config
from offer.clock import SystemClock
from offer.daemon_cli import add_http_flags, daemon_parser, setup_logging
from offer.exclusive import check_port_free, lock_state_file
from offer.security import server as security
from offer.security.acl import AclError
from offer.security.credentials import CredentialsError
from offer.security.server import ServerSecurityError, is_loopback

DEFAULT_DB = "sqlite:///offer-state/master.db"
# Calls a second per principal to the Scheduler and Operator services: far
# above what a framework needs (an accept launches many tasks), low enough
# that one flooding caller cannot starve the others.
DEFAULT_RATE_LIMIT = 500.0
# /metrics, /health and the web UI (Mesos's master serves its UI on 5050,
# which is our gRPC port).
DEFAULT_HTTP_PORT = 5051

EPILOG = """\
examples:
  offer-master                                 # 127.0.0.1:5050, state in ./offer-state/
  offer-master --port 6060 --db sqlite:////var/lib/master.db
  offer-master --weights "prod=3,batch=1"      # DRF weights per role
  offer-master --host 0.0.0.0 --credentials creds.json --acls acls.yaml \\
      --tls-cert master.pem --tls-key master.key  # see docs/security.md

high availability (run the same on three hosts; one leads, two stand by):
  offer-master --host 0.0.0.0 --advertise m1.example:5050 --credentials creds.json \\
      --db postgresql+psycopg://offer@db.example/offer
"""


def parse_weights(text: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        role, sep, value = part.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = -1.0
        if not sep or not role or not weight > 0:
            raise argparse.ArgumentTypeError(
                f"'{part}' is not ROLE=WEIGHT with a weight > 0 (e.g. 'prod=3,batch=1')"
            )
        weights[role.strip()] = weight
    return weights


def parse_advertise(text: str) -> str:
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not HOST:PORT (e.g. 'm1.example:5050' or '[fd00::1]:5050')"
        )
    return text.strip()


def build_parser() -> argparse.ArgumentParser:
    parser = daemon_parser(
        "offer-master",
        "The offer master: registers agents, offers their resources to "
        "frameworks by Dominant Resource Fairness, and keeps the cluster's state in SQL.",
        EPILOG,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=5050, help="port to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--db",
        default=DEFAULT_DB,
        help="SQLAlchemy URL of the state store (default: %(default)s); masters given one "
        "PostgreSQL URL elect a leader among themselves through it",
    )
    parser.add_argument(
        "--advertise",
        type=parse_advertise,
        metavar="HOST:PORT",
        help="the address clients reach this master at, which standbys name as the leader's "
        "(default: --host:--port; with --host 0.0.0.0 or :: this host's address on its "
        "default route, or its hostname)",
    )
    parser.add_argument(
        "--leader-lease",
        type=float,
        default=DEFAULT_LEASE_SECONDS,
        metavar="SECONDS",
        help="with several masters on PostgreSQL: the leader renews its lease every third of "
        "this and stops serving when it could not within it; a standby takes over once the "
        "lease ran out (default: %(default)s)",
    )
    parser.add_argument(
        "--weights",
        type=parse_weights,
        default={},
        help="DRF weights per role, e.g. 'prod=3,batch=1'",
    )
    parser.add_argument(
        "--allocation-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="run an allocation at least this often (default: %(default)s)",
    )
    parser.add_argument(
        "--offer-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="rescind offers not answered within this (default: %(default)s)",
    )
    parser.add_argument(
        "--agent-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="an agent without a stream this long is lost and its tasks LOST "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--failover-timeout",
        type=float,
        default=7 * 24 * 3600.0,
        metavar="SECONDS",
        help="how long a disconnected framework keeps its tasks, unless it asks for "
        "another (default: 7 days)",
    )
    parser.add_argument(
        "--heartbeat-interval",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="seconds between heartbeats to frameworks (default: %(default)s)",
    )
    parser.add_argument(
        "--max-completed-tasks-per-framework",
        type=int,
        default=1000,
        metavar="N",
        help="ended tasks the master keeps per framework, in memory and in its database; "
        "older ones are pruned, oldest first (default: %(default)s)",
    )
    parser.add_argument(
        "--max-completed-frameworks",
        type=int,
        default=50,
        metavar="N",
        help="removed frameworks the master keeps, with their tasks; older ones are "
        "pruned (default: %(default)s)",
    )
    add_http_flags(parser, DEFAULT_HTTP_PORT, host=None)
    add_ui_flags(parser)
    security.add_server_flags(parser, rate_limit=DEFAULT_RATE_LIMIT)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    for flag in (
        "allocation_interval",
        "offer_timeout",
        "agent_timeout",
        "failover_timeout",
        "heartbeat_interval",
        "leader_lease",
    ):
        if not getattr(args, flag) > 0:
            parser.error(f"--{flag.replace('_', '-')} must be a number of seconds > 0")
    for flag in ("max_completed_tasks_per_framework", "max_completed_frameworks"):
        if getattr(args, flag) < 0:
            parser.error(f"--{flag.replace('_', '-')} must be a number >= 0")
    setup_logging(args.log_level, args.log_format)
    http_host = args.host if args.http_host is None else args.http_host
    try:
        secured = security.from_args(args, args.host, RATE_LIMITED)
        ui = ui_config(args)
    except (ServerSecurityError, CredentialsError, AclError) as err:
        parser.error(str(err))
    if not is_loopback(http_host) and not secured.authenticates and not args.insecure:
        # The web UI shows every task's output: as open as the gRPC port would be.
        parser.error(
            f"--http-host {http_host} lets anyone on the network read the web UI: give "
            "--credentials (and --tls-cert/--tls-key), or --insecure to accept that"
        )
    config = MasterConfig(
        allocation_interval=args.allocation_interval,
        heartbeat_interval=args.heartbeat_interval,
        offer_timeout=args.offer_timeout,
        agent_timeout=args.agent_timeout,
        default_failover_timeout=args.failover_timeout,
        weights=args.weights,
        acls=secured.acls,
        authenticate=secured.authenticates,
        max_completed_tasks_per_framework=args.max_completed_tasks_per_framework,
        max_completed_frameworks=args.max_completed_frameworks,
    )
    try:
        # Both before the state is opened: a second master exits at once,
        # having touched nothing (offer.exclusive).
        check_port_free(args.host, args.port)
        check_port_free(http_host, args.http_port, flag="--http-port")
        state_lock = lock_state_file(args.db)
        try:
            code = asyncio.run(
                run_master(
                    args.host,
                    args.port,
                    args.db,
                    config,
                    secured,
                    SystemClock(),
                    advertise=args.advertise,
                    lease_seconds=args.leader_lease,
                    http_host=http_host,
                    http_port=args.http_port,
                    ui=ui,
                )
            )
        finally:
            if state_lock is not None:
                state_lock.release()
    except OSError as err:
        print(f"offer-master: {err}", file=sys.stderr)
        sys.exit(1)
    if code:
        # It lost the lead: out at once, without waiting for a database call
        # that may hang on a cut connection (master.server).
        logging.shutdown()
        os._exit(code)


if __name__ == "__main__":
    main()
