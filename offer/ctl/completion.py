"""offerctl completion SHELL: a tab-completion script for offerctl's
commands, flags and fixed choices, made by shtab from the argument parser
itself, so that it can never fall out of step with the commands."""

from __future__ import annotations

import argparse
import sys

SHELLS = ("bash", "zsh", "tcsh")


def completion(stub: object, args: argparse.Namespace) -> int:
    try:
        import shtab
    except ImportError:
        print(
            "offerctl: shell completion needs the shtab package: pip install shtab",
            file=sys.stderr,
        )
        return 1
    from offer.ctl.cli import build_parser  # here: cli imports this module

    print(shtab.complete(build_parser(), shell=args.shell), end="")
    return 0
