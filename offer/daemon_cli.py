"""What every daemon's command line shares: the parser's shape, --master
(with OFFER_MASTER: one master or several), --log-level, --version and the
log format."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from offer.masters import MasterListError, parse_masters
from offer.version import version

DEFAULT_MASTER = "127.0.0.1:5050"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def daemon_parser(prog: str, description: str, epilog: str) -> argparse.ArgumentParser:
    """A parser whose --help ends with the daemon's examples, with --log-level,
    --log-format and --version."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_log_level_flag(parser)
    add_log_format_flag(parser)
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


def add_log_format_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format",
        default="text",
        type=str.lower,
        choices=LOG_FORMATS,
        metavar="FORMAT",
        help="text, or json: one JSON object per line with time, level, logger, message "
        "and the ids involved (docs/logging.md) (default: %(default)s)",
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
        type=http_port,
        # A string, so that argparse checks $OFFER_HTTP_PORT as it checks the flag.
        default=os.environ.get("OFFER_HTTP_PORT", str(port)),
        metavar="PORT",
        help=f"the HTTP port; 0 takes any free one, named in the log (default: $OFFER_HTTP_PORT "
        f"or {port})",
    )


def http_port(text: str) -> int:
    """--http-port's value (or $OFFER_HTTP_PORT's): a port number, 0 for any."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a port number (0 to 65535; 0 takes any free port); check "
            "the flag or $OFFER_HTTP_PORT"
        )
    return port


def setup_logging(level: str, log_format: str = "text") -> None:
    """Logs to stderr from the root logger, so that every library's records
    (grpc, aiohttp, alembic) come out in the same format, and Python's
    warnings with them. In json every line is one JSON object (docs/logging.md):
    uncaught exceptions are logged rather than printed, so that a collector
    parsing the stream never meets a bare traceback."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonLogFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level, handlers=[handler])
    logging.captureWarnings(True)
    # Alembic describes its context at INFO on every start; offer.sqlmigrate
    # says in one line when a schema was upgraded.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    if log_format == "json":
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_uncaught_in_thread
        sys.unraisablehook = _log_unraisable


class JsonLogFormatter(JsonFormatter):
    """One JSON object per record: time (ISO 8601, UTC, milliseconds), level,
    logger, message, then every `extra={...}` field as a top-level key, and
    `exception` (the formatted traceback) when there is one."""

    def __init__(self) -> None:
        super().__init__(rename_fields={"exc_info": "exception", "stack_info": "stack"})

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        # Set first so that they lead each line: a reader sees when and how
        # bad before the details.
        log_data["time"] = _utc_ms(record.created)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        super().add_fields(log_data, record, message_dict)


def _utc_ms(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _log_uncaught(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    logging.getLogger("offer").critical("uncaught exception", exc_info=(kind, value, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or isinstance(args.exc_value, SystemExit):
        return
    thread = args.thread.name if args.thread is not None else "?"
    logging.getLogger("offer").error(
        "uncaught exception in thread %s",
        thread,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def _log_unraisable(args: sys.UnraisableHookArgs) -> None:
    # An exception in a __del__ or a finalizer, which Python would print.
    exc_info = (
        (args.exc_type, args.exc_value, args.exc_traceback) if args.exc_value is not None else None
    )
    logging.getLogger("offer").warning(
        "%s: %r", args.err_msg or "Exception ignored in", args.object, exc_info=exc_info
    )
