"""offerctl completion SHELL: a tab-completion script for offerctl's
commands, flags and fixed choices, made by shtab from the argument parser
itself, so that it can never fall out of step with the commands."""

from __future__ import annotations

import argparse
import sys

SHELLS = ("bash", "zsh", "tcsh")


def completion(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Prints the script for `args.shell`; offerctl's main passes its own
    parser to commands that call nothing, so this module needs no import of it."""
    try:
        import shtab
    except ImportError:
        print(
            "offerctl: shell completion needs the shtab package: pip install shtab",
            file=sys.stderr,
        )
        return 1
    print(shtab.complete(parser, shell=args.shell), end="")
    return 0
