"""What every daemon's command line shares: the parser's shape, --master
(with OFFER_MASTER: one master or several), --log-level, --version and the
log format."""

from __future__ import annotations

import argparse
import logging
import os

from offer.masters import MasterListError, parse_masters
from offer.version import version

DEFAULT_MASTER = "127.0.0.1:5050"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def daemon_parser(prog: str, description: str, epilog: str) -> argparse.ArgumentParser:
    """A parser whose --help ends with the daemon's examples, with --log-level
    and --version."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_log_level_flag(parser)
    parser.add_argument("--version", action="version", version=f"{prog} {version()}")
    return parser


def add_log_level_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=LOG_LEVELS,
        metavar="LEVEL",
        help=f"what to log: {', '.join(LOG_LEVELS)}, in any case (default: %(default)s)",
    )


def add_master_flag(parser: argparse.ArgumentParser) -> None:
    """--master (default: $OFFER_MASTER): one master, or several separated by
    commas (the standbys and the leader); args.master is then their tuple."""
    parser.add_argument(
        "--master",
        default=os.environ.get("OFFER_MASTER", DEFAULT_MASTER),
        type=master_list,
        metavar="HOST:PORT[,...]",
        help="the master's address, or every master's, comma-separated: the leader is "
        "found among them and followed when it changes (default: $OFFER_MASTER or "
        f"{DEFAULT_MASTER})",
    )


def master_list(text: str) -> tuple[str, ...]:
    """--master's value (or OFFER_MASTER's) as addresses; a usage error says
    which item is wrong."""
    try:
        return parse_masters(text)
    except MasterListError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_http_flags(parser: argparse.ArgumentParser, port: int, host: str | None) -> None:
    """--http-host and --http-port: where the daemon serves /metrics and
    /health (and the master its web UI). `host` None: the same as --host."""
    group = parser.add_argument_group("HTTP", "/metrics (Prometheus), /health; see docs/metrics.md")
    group.add_argument(
        "--http-host",
        default=host,
        metavar="HOST",
        help="address of the HTTP port (default: "
        + ("the same as --host)" if host is None else "%(default)s)"),
    )
    group.add_argument(
        "--http-port",
        type=int,
        default=int(os.environ.get("OFFER_HTTP_PORT", port)),
        metavar="PORT",
        help=f"the HTTP port; 0 takes any free one, named in the log (default: $OFFER_HTTP_PORT "
        f"or {port})",
    )


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic describes its context at INFO on every start; offer.sqlmigrate
    # says in one line when a schema was upgraded.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
