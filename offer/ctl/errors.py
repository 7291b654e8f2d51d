"""The failures offerctl explains in one line, with exit code 1."""

from __future__ import annotations


class CtlError(Exception):
    """Says what was wrong and what to do; main prints it after 'offerctl: '."""


def not_found(kind: str, ident: str) -> CtlError:
    """An unknown id of an agent, framework, task or offer (`kind` is the
    plural that names the command listing them)."""
    return CtlError(f"no {kind.removesuffix('s')} {ident!r}; `offerctl {kind}` lists them")
