"""What every daemon's command line shares: the parser's shape, --master
(with OFFER_MASTER), --log-level and the log format."""

from __future__ import annotations

import argparse
import logging
import os

DEFAULT_MASTER = "127.0.0.1:5050"


def daemon_parser(prog: str, description: str, epilog: str) -> argparse.ArgumentParser:
    """A parser whose --help ends with the daemon's examples, and --log-level."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return parser


def add_master_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--master",
        default=os.environ.get("OFFER_MASTER", DEFAULT_MASTER),
        help="master address HOST:PORT (default: $OFFER_MASTER or %(default)s)",
    )


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
