"""offerctl's argument parsing: a parser whose usage errors are one line
(exit 2), the flags many commands share, and the checks of filter values."""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

# Each command gets the stub of the API it talks to (the master's, or a
# framework's control API), or, for commands that call nothing (target
# "local"), offerctl's own argument parser.
Command = Callable[[Any, argparse.Namespace], int]

OUTPUTS = ("table", "wide", "json", "yaml")


@dataclass(frozen=True)
class lazy:
    """A command's function, named by its module in offer.ctl and its name,
    imported when the command runs: the modules that talk to a server import
    grpc, rich and the generated protos (over 100 ms), which `offerctl
    --help` and usage errors do without."""

    module: str
    name: str

    def resolve(self) -> Command:
        found: Command = getattr(importlib.import_module(f"offer.ctl.{self.module}"), self.name)
        return found

    def __call__(self, target: Any, args: argparse.Namespace) -> int:
        return self.resolve()(target, args)


class Parser(argparse.ArgumentParser):
    """Usage errors in one line that says where help is, exit code 2."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        # `offerctl frameworks --agent a1`: argparse skips the unknown flag and
        # then calls its value an invalid ACTION, which points at the wrong word.
        unknown = [a for a in getattr(self, "_given", []) if self._unknown_option(a)]
        if unknown and "invalid choice" in message:
            message = f"unknown option {unknown[0].split('=', 1)[0]}"
        self.exit(2, f"{self.prog}: {message}; see '{self.prog} --help'\n")

    def _unknown_option(self, arg: str) -> bool:
        if not arg.startswith("-") or arg == "-" or _NUMBER.match(arg):
            return False
        name = arg.split("=", 1)[0]
        if name.startswith("--"):
            return not any(option.startswith(name) for option in self._option_string_actions)
        return name[:2] not in self._option_string_actions  # -ojson is -o json


_NUMBER = re.compile(r"^-\d+(\.\d*)?$")


# --master after the command too (offerctl agents --master H:P). SUPPRESS: a
# sub-command's default must not overwrite a --master given before it.
MASTER_FLAG = argparse.ArgumentParser(add_help=False)
MASTER_FLAG.add_argument(
    "--master",
    default=argparse.SUPPRESS,
    metavar="HOST:PORT[,...]",
    help="the master's address, or every master's, comma-separated",
)


def sub(
    group: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    text: str,
    examples: list[str],
    run: Command,
    parents: list[argparse.ArgumentParser] | None = None,
) -> argparse.ArgumentParser:
    """A sub-command with a description and examples in its --help."""
    parser: argparse.ArgumentParser = group.add_parser(
        name,
        parents=[MASTER_FLAG] if parents is None else parents,
        help=text,
        description=text[0].upper() + text[1:] + ".",
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    return parser


def command_group(
    group: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    text: str,
    description: str,
    examples: list[str],
) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    """A command whose actions are sub-commands (offerctl agent drain ...),
    with examples in its --help; returns what its actions are added to."""
    parser = group.add_parser(
        name,
        help=text,
        description=textwrap.fill(description, 79),
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions: argparse._SubParsersAction = parser.add_subparsers(  # type: ignore[type-arg]
        dest="action", required=True, metavar="ACTION"
    )
    return actions


def add_output(parser: argparse.ArgumentParser, inherit: bool = False) -> None:
    """-o; with `inherit` (a sub-command such as `show`), a value given to
    the parent command is kept: offerctl tasks -o json show ID."""
    parser.add_argument(
        "-o",
        "--output",
        choices=OUTPUTS,
        default=_default("table", inherit),
        help="output format: table, wide (more columns), json or yaml (default: table)",
    )


def add_watch(parser: argparse.ArgumentParser, inherit: bool = False) -> None:
    parser.add_argument(
        "-w",
        "--watch",
        action="store_true",
        default=_default(False, inherit),
        help="keep the view on screen, refreshed every --interval (Ctrl-C stops)",
    )
    parser.add_argument(
        "--interval",
        type=positive(float),
        default=_default(2.0, inherit),
        metavar="SECONDS",
        help="seconds between refreshes with --watch (default: 2)",
    )
    parser.add_argument(
        "--watch-count",
        type=positive(int),
        default=_default(None, inherit),
        metavar="N",
        help="with --watch: stop after N refreshes (for scripts)",
    )


def _default(value: Any, inherit: bool) -> Any:
    return argparse.SUPPRESS if inherit else value


def positive(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def check(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number > 0")
        return value

    check.__name__ = kind.__name__  # argparse names the type in its messages
    return check


def at_least_zero(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number >= 0")
    return value


def choice(what: str, valid: Iterable[str]) -> Callable[[str], str]:
    """One value from `valid`, case-insensitive; '-' may stand for a space
    (engine-unavailable)."""
    choices = {v.lower().replace(" ", "-"): v for v in valid}

    def check(text: str) -> str:
        found = choices.get(text.strip().lower().replace(" ", "-"))
        if found is None:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not {what}; use one of: {', '.join(choices)}"
            )
        return found

    return check


def one_of(what: str, valid: Iterable[str]) -> Callable[[str], frozenset[str]]:
    """A comma-separated list of values, each checked as `choice` does."""
    check = choice(what, valid)

    def check_all(text: str) -> frozenset[str]:
        wanted = [w for w in text.split(",") if w.strip()]
        if not wanted:
            check(text)  # raises, naming the valid values
        return frozenset(check(w) for w in wanted)

    return check_all


def amounts(text: str) -> dict[str, float]:
    """'cpus:4;mem:4096' as {'cpus': 4.0, 'mem': 4096.0}. Only the form is
    checked: which names and values are valid is the master's to say."""
    found: dict[str, float] = {}
    for raw in text.split(";"):
        part = raw.strip()
        if not part:
            continue
        name, sep, value = part.partition(":")
        try:
            if not sep:
                raise ValueError(part)
            found[name.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{part!r} is not NAME:AMOUNT (e.g. 'cpus:4;mem:4096')"
            ) from None
    return found
