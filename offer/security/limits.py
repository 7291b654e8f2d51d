"""Hostile input: bounds every message a server accepts must keep, checked
generically over the protobuf fields so that no RPC is forgotten. The
master's own checks (a task's resources, roles, ...) come after these.

The answer names the field, e.g. "operations[0].launch.tasks[2].task_id:
'a b' is not an id (1-128 letters, digits and '._-')". Pure."""

from __future__ import annotations

import math
import re

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

MAX_ITEMS = 10_000  # a repeated field
MAX_MAP = 1_000  # a map's entries
MAX_NAME = 255  # names, hostnames, roles, principals
MAX_TEXT = 64 * 1024  # any other string: a command argument, an env value
MAX_BYTES = 1024 * 1024  # a bytes field (a chunk of task output)
MAX_DOCUMENT = 1024 * 1024  # an app or job spec in YAML
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_NAMES = {"name", "hostname", "role", "principal", "user", "protocol", "network", "pid", "image"}
_FD = FieldDescriptor


def message_problem(msg: Message, path: str = "") -> str | None:
    """Why `msg` breaks a bound, naming the field; None when it keeps them all."""
    for field, value in msg.ListFields():
        name = f"{path}{field.name}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            problem = _map_problem(field, value, name)
        elif field.is_repeated:
            if len(value) > MAX_ITEMS:
                return f"{name}: at most {MAX_ITEMS} items, got {len(value)}"
            problem = next(
                (p for i, v in enumerate(value) if (p := _value_problem(field, v, f"{name}[{i}]"))),
                None,
            )
        else:
            problem = _value_problem(field, value, name)
        if problem:
            return problem
    return None


def _map_problem(field: FieldDescriptor, value: object, name: str) -> str | None:
    entries = dict(value)  # type: ignore[call-overload]
    if len(entries) > MAX_MAP:
        return f"{name}: at most {MAX_MAP} entries, got {len(entries)}"
    key_field, value_field = (
        field.message_type.fields_by_name["key"],
        field.message_type.fields_by_name["value"],
    )
    for key, item in entries.items():
        problem = _value_problem(key_field, key, f"{name} key") or _value_problem(
            value_field, item, f"{name}[{key!r}]"
        )
        if problem:
            return problem
    return None


def _value_problem(field: FieldDescriptor, value: object, name: str) -> str | None:
    kind = field.type
    if kind == _FD.TYPE_MESSAGE:
        assert isinstance(value, Message)
        return message_problem(value, f"{name}.")
    if kind == _FD.TYPE_STRING:
        assert isinstance(value, str)
        return _text_problem(field.name, value, name)
    if kind == _FD.TYPE_BYTES:
        assert isinstance(value, bytes)
        if len(value) > MAX_BYTES:
            return f"{name}: at most {MAX_BYTES} bytes, got {len(value)}"
    if kind in (_FD.TYPE_DOUBLE, _FD.TYPE_FLOAT):
        assert isinstance(value, float)
        # Every number in the API is an amount, a duration or a time.
        if not math.isfinite(value) or value < 0:
            return f"{name}: must be a finite number >= 0, got {value}"
    return None


def _text_problem(field: str, value: str, name: str) -> str | None:
    if field.endswith("_id") or field.endswith("_ids") or field == "uuid":
        if value and not _ID.match(value):
            return f"{name}: {value[:40]!r} is not an id (1-128 letters, digits and '._:-')"
        return None
    limit = MAX_NAME if field in _NAMES else MAX_DOCUMENT if field == "yaml" else MAX_TEXT
    if len(value) > limit:
        return f"{name}: at most {limit} characters, got {len(value)}"
    if "\x00" in value:
        return f"{name}: must not contain NUL characters"
    return None
