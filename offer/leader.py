"""How a standby master names the leader, shared by masters and clients.

A master that stands by answers every call of every service with status
UNAVAILABLE, details ``"this master is a standby; the leader is HOST:PORT"``
(or ``"...; no leader is elected yet"``), and the trailing metadata key
:data:`LEADER_KEY` set to the leader's advertised ``HOST:PORT`` (absent
when no leader is known). A client that gets such an answer calls
:func:`leader_from` and, when it names a leader, dials that one next.
"""

from __future__ import annotations

import grpc

__all__ = [
    "LEADER_KEY",
    "STANDBY_DETAILS",
    "is_standby_answer",
    "leader_from",
    "standby_details",
]

LEADER_KEY = "offer-leader"
"""Trailing metadata key holding the leader's advertised HOST:PORT."""

STANDBY_DETAILS = "this master is a standby"
"""The start of every standby answer's details."""


def standby_details(leader: str | None) -> str:
    """The details a standby answers with, naming ``leader`` when known."""
    if leader:
        return f"{STANDBY_DETAILS}; the leader is {leader}"
    return f"{STANDBY_DETAILS}; no leader is elected yet"


def leader_from(err: grpc.RpcError) -> str | None:
    """The leader named by a standby's answer, or None.

    None when ``err`` is not a standby's UNAVAILABLE, or when the standby
    knows no leader yet (the caller then tries the next master it knows).
    """
    code = getattr(err, "code", None)
    if not callable(code) or code() != grpc.StatusCode.UNAVAILABLE:
        return None
    trailing = getattr(err, "trailing_metadata", None)
    metadata = trailing() if callable(trailing) else None
    for key, value in metadata or ():
        if key == LEADER_KEY:
            text = value.decode() if isinstance(value, bytes) else str(value)
            return text or None
    return None


def is_standby_answer(err: grpc.RpcError) -> bool:
    """True when ``err`` is a standby's answer (with or without a leader)."""
    code = getattr(err, "code", None)
    details = getattr(err, "details", None)
    if not callable(code) or code() != grpc.StatusCode.UNAVAILABLE:
        return False
    return callable(details) and str(details() or "").startswith(STANDBY_DETAILS)
