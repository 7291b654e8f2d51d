"""ListTasks page tokens: the last task's position, as URL-safe base64 of a
JSON array [created_at, framework_id, task_id]. Opaque to callers; the
master reads back only what it wrote, and refuses anything else."""

from __future__ import annotations

import base64
import binascii
import json

from master.task_pages import Position


def encode(position: Position) -> str:
    raw = json.dumps(list(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str) -> Position | None:
    """The position in `token`; None for the empty token (the first page).
    ValueError, saying so, for a token the master did not write."""
    if not token:
        return None
    problem = f"page_token {token[:40]!r} is not one: pass next_page_token of the previous response"
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as e:
        raise ValueError(problem) from e
    match value:
        case [int() | float() as created_at, str() as framework_id, str() as task_id] if (
            not isinstance(created_at, bool)
        ):
            return (float(created_at), framework_id, task_id)
    raise ValueError(problem)
