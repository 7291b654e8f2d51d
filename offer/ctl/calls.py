"""offerctl's calls to a server: the channel to the master (the leading
one of several: offer/ctl/leader.py) or to a framework's control API (found
through the master), the command run with its stub, and every failure told
in one line with exit code 1."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import grpc

from offer.ctl.errors import CtlError
from offer.ctl.leader import on_leader
from offer.leader import is_standby_answer
from offer.masters import MasterList, MasterListError
from offer.security.client import ClientSecurity, ClientSecurityError

__all__ = ["call"]


def _stub(target: str, channel: grpc.Channel) -> Any:
    if target == "service":
        from offer.v1.service_pb2_grpc import ServiceControlStub

        return ServiceControlStub(channel)
    if target == "batch":
        from offer.v1.batch_pb2_grpc import BatchControlStub

        return BatchControlStub(channel)
    from offer.v1.operator_pb2_grpc import OperatorStub

    return OperatorStub(channel)


def call(args: argparse.Namespace) -> int:
    """Runs the parsed command against the server it talks to; its exit code."""
    from offer.ctl.apps import NoServiceError, find_service

    target = getattr(args, "target", "")
    try:
        MasterList(args.master)
    except MasterListError as err:
        print(f"offerctl: --master: {err}", file=sys.stderr)
        return 2
    address, what = args.master, "the master"
    try:
        args.security = ClientSecurity.from_args(args)
        if not target:
            return int(on_leader(args, lambda channel: args.run(_stub("", channel), args)))
        address, what = _framework_address(args, target, find_service), f"offer-{target}"
        with args.security.channel(address) as channel:
            return int(args.run(_stub(target, channel), args))
    except NoServiceError:
        print(
            f"offerctl: no offer-{target} is registered with the master at {args.master}; "
            f"start offer-{target}, or give its address with --{target} or OFFER_{target.upper()}",
            file=sys.stderr,
        )
    except (CtlError, ClientSecurityError) as err:
        print(f"offerctl: {err}", file=sys.stderr)
    except grpc.RpcError as err:
        print(_explain(err, address, what), file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `offerctl tasks | head`: the reader has enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 1


def _framework_address(args: argparse.Namespace, target: str, find: Any) -> str:
    """--service/--batch (or OFFER_SERVICE/OFFER_BATCH), else the control
    address offer-service/offer-batch registered with the master."""
    given = getattr(args, target)
    if given:
        return str(given)
    return str(on_leader(args, lambda channel: find(channel, f"offer-{target}")))


def _explain(err: grpc.RpcError, address: str, what: str) -> str:
    code, detail = err.code(), err.details()
    if is_standby_answer(err):
        several = "," in address
        return (
            f"offerctl: {'no master of' if several else 'the master at'} {address} "
            f"{'leads' if several else 'is a standby'} ({detail}); "
            "is a leader being elected? Try again, or give every master with --master or "
            "OFFER_MASTER."
        )
    if code == grpc.StatusCode.UNAVAILABLE and "connect" in (detail or "").lower():
        flag = {"offer-service": "service", "offer-batch": "batch"}.get(what, "master")
        hint = (
            f"is {what.removeprefix('the ')} running there? Set --{flag} or OFFER_{flag.upper()}."
        )
        if what == "the master":
            hint = "is offer-master running there? Set --master or OFFER_MASTER."
        return f"offerctl: cannot reach {what} at {address} (unavailable); {hint}"
    if code == grpc.StatusCode.UNAVAILABLE:  # e.g. a stream cut off when the master died
        return (
            f"offerctl: lost the connection to {what} at {address} ({detail}); is it still running?"
        )
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"offerctl: {what} at {address} did not answer in time"
    return f"offerctl: {detail} ({code.name.lower().replace('_', ' ')})"
