"""Identifiers, and the paths they become.

Task, framework and agent ids name folders on agents (a task's sandbox is
`sandboxes/FRAMEWORK/TASK`), so an id is never `.`, `..` or anything else
that starts with a dot. Every path made from ids goes through `path_inside`,
which refuses a result outside its folder even if these rules change."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = [
    "ID_RULE",
    "TASK_ID_RULE",
    "VOLUME_NAME_RULE",
    "UnsafePathError",
    "is_id",
    "is_task_id",
    "is_volume_name",
    "path_inside",
]

ID_RULE = "1-128 letters, digits and '._:-', not starting with a dot"
TASK_ID_RULE = "1 to 128 letters, digits and '._-', not starting with a dot"
_ID = re.compile(r"^(?!\.)[A-Za-z0-9._:-]{1,128}$")
_TASK_ID = re.compile(r"^(?!\.)[A-Za-z0-9._-]{1,128}$")
# Docker's own rule for volume names, with a length bound of ours.
VOLUME_NAME_RULE = "1-128 letters, digits and '_.-', starting with a letter or digit"
_VOLUME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def is_id(value: str) -> bool:
    """An id of the API (framework, agent, offer, ... ids): see ID_RULE."""
    return _ID.match(value) is not None


def is_task_id(value: str) -> bool:
    """A task id: see TASK_ID_RULE (no ':', which container tooling reads
    as a separator)."""
    return _TASK_ID.match(value) is not None


def is_volume_name(value: str) -> bool:
    """A task's named (engine) volume: see VOLUME_NAME_RULE."""
    return _VOLUME_NAME.match(value) is not None


class UnsafePathError(ValueError):
    """A path made from ids would leave its folder."""


def path_inside(parent: Path, *parts: str) -> Path:
    """`parent / part / ...`, refused unless it lies strictly inside `parent`
    (after resolving `..` and symbolic links)."""
    base = parent.resolve()
    for part in parts:
        if not part or "/" in part or "\x00" in part or part in (".", ".."):
            raise UnsafePathError(f"{part!r} cannot name a folder inside {parent}")
    path = base.joinpath(*parts).resolve()
    if path == base or base not in path.parents:
        raise UnsafePathError(f"{'/'.join(parts)!r} leads outside {parent}")
    return path
