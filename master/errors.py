"""How the master refuses a call: a kind (mapped to a gRPC status code by
the servicers) and a message saying what to do instead."""

from __future__ import annotations

import enum


class ErrorKind(enum.Enum):
    INVALID_ARGUMENT = "invalid argument"
    # What the call would create exists already (a task id used before).
    ALREADY_EXISTS = "already exists"
    PERMISSION_DENIED = "permission denied"
    NOT_FOUND = "not found"
    FAILED_PRECONDITION = "failed precondition"
    UNAVAILABLE = "unavailable"
    # Not done because another part of the same all-or-nothing call was refused.
    ABORTED = "aborted"


class MasterError(Exception):
    """A refused call. Nothing was changed. The message says what to do."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
