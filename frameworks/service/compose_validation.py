"""Compose files checked against the official Compose JSON Schema, before
anything is mapped: a file Docker Compose itself would refuse is refused
here, naming the schema's path (`services.web.ports[0]: ...`).

The schema is compose-spec's `schema/compose-spec.json`, vendored with its
licence (Apache-2.0) in compose_schema/. What the schema accepts may still
be refused by the mapping (compose.py), by name, when offer-service cannot
honour it.
"""

from __future__ import annotations

import difflib
import functools
import json
from importlib import resources
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

__all__ = ["schema_problems"]

_JSON_TYPES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "empty",
}


@functools.cache
def _validator() -> Draft7Validator:
    text = (resources.files(__package__) / "compose_schema" / "compose-spec.json").read_text()
    return Draft7Validator(json.loads(text))


def schema_problems(doc: dict[str, Any], *, v1: bool = False) -> list[str]:
    """One line per problem, in file order of their paths; [] when the
    schema accepts `doc`. `v1`: services stand at the top of the file
    (Compose v1): they are checked as `services:` and named as in the file."""
    checked = {"services": doc} if v1 else doc
    # JSON has string keys only (the schema's patterns cannot read others);
    # YAML 1.1 makes `off:` or `on:` keys booleans.
    lines = [_named(path, problem, v1) for path, problem in _key_problems(checked, "")]
    if lines:
        return lines
    for error in sorted(_validator().iter_errors(checked), key=lambda e: _path(e.absolute_path)):
        for deepest in _deepest(error):
            lines += _lines(deepest, v1)
    return list(dict.fromkeys(lines))


def _key_problems(node: object, path: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                found.append((path, f"key {key!r} is not a string (quote it in YAML)"))
            else:
                found += _key_problems(value, _join(path, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found += _key_problems(item, f"{path}[{i}]")
    return found


def _deepest(error: ValidationError) -> list[ValidationError]:
    """For oneOf/anyOf: the errors of an alternative of the value's own type
    (a mapping under `depends_on` is checked as one), the one reaching
    deepest, so the message says what is wrong inside rather than "not valid
    under any of the given schemas". When every alternative wants another
    type, the error itself (its types are then said together by _lines)."""
    if not error.context:
        return [error]
    depth = len(error.absolute_path)
    branches: dict[object, list[ValidationError]] = {}
    for e in error.context:
        if e.validator != "type" or len(e.absolute_path) > depth:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
    if not branches:
        return [error]
    chosen = max(branches.values(), key=lambda es: max(len(e.absolute_path) for e in es))
    return [deeper for e in chosen for deeper in _deepest(e)]


def _lines(error: ValidationError, v1: bool) -> list[str]:
    path = _path(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        known = list(schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in known and not str(k).startswith("x-")]
        return [_named(_join(path, str(k)), _unknown(str(k), known), v1) for k in unknown]
    if error.validator == "type" or error.context:
        # "empty" is never what was meant: left unsaid, as the app schema does.
        said = [_JSON_TYPES.get(k, k) for k in _types(error) if k != "null"]
        hint = " (quote it in YAML)" if said == ["a string"] and _scalar(error.instance) else ""
        wanted = ", ".join(said[:-1]) + " or " + said[-1] if len(said) > 1 else said[0]
        return [_named(path, f"not {wanted}: {error.instance!r}{hint}", v1)]
    return [_named(path, error.message, v1)]


def _scalar(value: object) -> bool:
    return isinstance(value, int | float | bool)


def _types(error: ValidationError) -> list[str]:
    """The types a value may have: of the type rule, or of every alternative."""
    if error.validator == "type":
        wanted = error.validator_value
        if isinstance(wanted, str):
            return [wanted]
        return [str(k) for k in wanted] if isinstance(wanted, list) else []
    return list(dict.fromkeys(k for e in error.context or [] for k in _types(e)))


def _unknown(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"unknown field; did you mean '{close[0]}'?" if close else "unknown field"


def _path(parts: Any) -> str:
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else _join(path, str(part))
    return path


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _named(path: str, problem: str, v1: bool) -> str:
    """'services.web.ports[0]: problem'; in a v1 file 'web: ports[0]: problem'."""
    if v1 and path.startswith("services."):
        service, _, rest = path.removeprefix("services.").partition(".")
        return f"{service}: {rest}: {problem}" if rest else f"{service}: {problem}"
    return f"{path}: {problem}" if path else problem
