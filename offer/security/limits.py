"""Hostile input: bounds every message a server accepts must keep, checked
generically over the protobuf fields so that no RPC is forgotten. The
master's own checks (a task's resources, roles, ...) come after these.

The answer names the field, e.g. "operations[0].launch.tasks[2].task_id:
'a b' is not an id (1-128 letters, digits and '._-')". Pure."""

from __future__ import annotations

import functools
import math

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from offer.ids import ID_RULE, is_id

MAX_ITEMS = 10_000  # a repeated field
MAX_MAP = 1_000  # a map's entries
MAX_NAME = 255  # names, hostnames, roles, principals
MAX_TEXT = 64 * 1024  # any other string: a command argument, an env value
MAX_BYTES = 1024 * 1024  # a bytes field (a chunk of task output)
MAX_DOCUMENT = 1024 * 1024  # an app or job spec in YAML
_NAMES = {"name", "hostname", "role", "principal", "user", "protocol", "network", "pid", "image"}
_FD = FieldDescriptor


def message_problem(msg: Message) -> str | None:
    """Why `msg` breaks a bound, naming the field; None when it keeps them all."""
    found = _walk(msg)
    return None if found is None else f"{found[0]}: {found[1]}"


# A problem: (the field's path, what is wrong). The path is built on the way
# back up, so that a message that keeps every bound costs no formatting.
_Found = tuple[str, str]


def _walk(msg: Message) -> _Found | None:
    for field, value in msg.ListFields():
        kind, limit = _rule(field)
        found: _Found | None = None
        if kind == _MAP:
            found = _map_problem(field, value)
        elif field.is_repeated:
            if len(value) > MAX_ITEMS:
                return field.name, f"at most {MAX_ITEMS} items, got {len(value)}"
            for i, item in enumerate(value):
                found = _value_problem(kind, limit, item)
                if found is not None:
                    found = (f"[{i}]{found[0]}", found[1])
                    break
        else:
            found = _value_problem(kind, limit, value)
        if found is not None:
            return f"{field.name}{found[0]}", found[1]
    return None


# What a field holds, as far as the bounds go.
_MAP, _MESSAGE, _ID_TEXT, _TEXT, _BYTES, _NUMBER, _OTHER = range(7)


@functools.cache
def _rule(field: FieldDescriptor) -> tuple[int, int]:
    """(kind, length limit) of a field, worked out once per field."""
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        return _MAP, MAX_MAP
    kind = field.type
    if kind == _FD.TYPE_MESSAGE:
        return _MESSAGE, 0
    if kind == _FD.TYPE_STRING:
        name = field.name
        if name.endswith("_id") or name.endswith("_ids") or name == "uuid":
            return _ID_TEXT, 128
        return _TEXT, MAX_NAME if name in _NAMES else MAX_DOCUMENT if name == "yaml" else MAX_TEXT
    if kind == _FD.TYPE_BYTES:
        return _BYTES, MAX_BYTES
    if kind in (_FD.TYPE_DOUBLE, _FD.TYPE_FLOAT):
        return _NUMBER, 0
    return _OTHER, 0


def _map_problem(field: FieldDescriptor, value: object) -> _Found | None:
    entries = dict(value)  # type: ignore[call-overload]
    if len(entries) > MAX_MAP:
        return "", f"at most {MAX_MAP} entries, got {len(entries)}"
    key_rule = _rule(field.message_type.fields_by_name["key"])
    value_rule = _rule(field.message_type.fields_by_name["value"])
    for key, item in entries.items():
        found = _value_problem(*key_rule, key)
        if found is not None:
            return f" key{found[0]}", found[1]
        found = _value_problem(*value_rule, item)
        if found is not None:
            return f"[{key!r}]{found[0]}", found[1]
    return None


def _value_problem(kind: int, limit: int, value: object) -> _Found | None:
    if kind == _MESSAGE:
        assert isinstance(value, Message)
        found = _walk(value)
        return None if found is None else (f".{found[0]}", found[1])
    if kind == _ID_TEXT:
        assert isinstance(value, str)
        if value and not is_id(value):
            return "", f"{value[:40]!r} is not an id ({ID_RULE})"
    elif kind == _TEXT:
        assert isinstance(value, str)
        if len(value) > limit:
            return "", f"at most {limit} characters, got {len(value)}"
        if "\x00" in value:
            return "", "must not contain NUL characters"
    elif kind == _BYTES:
        assert isinstance(value, bytes)
        if len(value) > limit:
            return "", f"at most {limit} bytes, got {len(value)}"
    elif kind == _NUMBER:
        assert isinstance(value, float)
        # Every number in the API is an amount, a duration or a time.
        if not math.isfinite(value) or value < 0:
            return "", f"must be a finite number >= 0, got {value}"
    return None
