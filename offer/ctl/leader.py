"""offerctl's way to the leading master.

Given several masters (--master a:5050,b:5050,c:5050 or OFFER_MASTER), a
command goes to each in turn until one leads: one that cannot be reached is
passed over, and a standby that names the leader sends it there
(offer/masters.py). Only answers that show the master did nothing are passed
over so: a command is never run twice on a leader."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

import grpc

from offer.leader import is_standby_answer, leader_from
from offer.masters import MasterList

__all__ = ["on_leader"]

T = TypeVar("T")


def on_leader(args: argparse.Namespace, use: Callable[[grpc.Channel], T]) -> T:
    """`use` run with a channel to the leading master of args.master (one
    address, or several comma-separated). While it runs, args.master is that
    master's address, so that a command's further calls go there too; it is
    the given list again if none led (the last failure is raised)."""
    given = args.master
    masters = MasterList(given)
    while True:
        args.master = masters.current
        try:
            with args.security.channel(args.master) as channel:
                return use(channel)
        except grpc.RpcError as err:
            if is_standby_answer(err):
                round_over = masters.standby(leader_from(err))
            elif _unreachable(err):
                round_over = masters.failed()
            else:
                raise
            if round_over:
                args.master = given
                raise


def _unreachable(err: grpc.RpcError) -> bool:
    """The master could not be reached at all (so it did nothing)."""
    detail = (err.details() or "").lower()
    return err.code() == grpc.StatusCode.UNAVAILABLE and any(
        words in detail for words in ("failed to connect", "errors resolving", "dns resolution")
    )
