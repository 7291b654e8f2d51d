"""`offerctl app explain [FIELD]`, `offerctl app schema` and their `job`
twins: the spec schema, as the running framework checks it, for a person
(fields, types, defaults and meanings, as `kubectl explain`) or for an
editor (JSON Schema).

The schema comes from the framework's control API (GetAppSchema,
GetJobSchema), not from an installed package: what is explained is what the
framework that will check the spec accepts, whatever its version, and
offerctl needs none of the frameworks' code. The walking of a JSON Schema
here is also what docs/specs.md is made with.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from offer.v1 import batch_pb2, service_pb2

__all__ = [
    "Field",
    "app_explain",
    "app_schema",
    "describe",
    "fields",
    "find",
    "job_explain",
    "job_schema",
    "type_text",
]

CALL_TIMEOUT = 10.0
Schema = dict[str, Any]


# ------------------------------------------------------------- commands


def app_explain(stub: Any, args: argparse.Namespace) -> int:
    """offerctl app explain [FIELD]: args.field is "" or a dotted path."""
    return _explain("app", _schemas("app", stub).spec_json_schema, args.field or "")


def app_schema(stub: Any, args: argparse.Namespace) -> int:
    """offerctl app schema: the JSON Schema of a deploy document."""
    print(_schemas("app", stub).document_json_schema)
    return 0


def job_explain(stub: Any, args: argparse.Namespace) -> int:
    """offerctl job explain [FIELD]: args.field is "" or a dotted path."""
    return _explain("job", _schemas("job", stub).spec_json_schema, args.field or "")


def job_schema(stub: Any, args: argparse.Namespace) -> int:
    """offerctl job schema: the JSON Schema of a submit document."""
    print(_schemas("job", stub).document_json_schema)
    return 0


def _schemas(kind: str, stub: Any) -> Any:
    """The AppSchema or JobSchema answer of offer-service's or offer-batch's stub."""
    if kind == "app":
        return stub.GetAppSchema(service_pb2.GetAppSchemaRequest(), timeout=CALL_TIMEOUT)
    return stub.GetJobSchema(batch_pb2.GetJobSchemaRequest(), timeout=CALL_TIMEOUT)


def _explain(kind: str, text: str, path: str) -> int:
    schema = json.loads(text)
    found = find(schema, path)
    if isinstance(found, str):
        print(f"offerctl: {kind} spec: {found}", file=sys.stderr)
        return 1
    print(describe(kind, schema, found))
    return 0


# --------------------------------------------------------- the walking


@dataclass(frozen=True)
class Field:
    """One field of a spec, read from its JSON Schema."""

    path: str
    schema: Schema
    required: bool = False

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def default(self) -> str:
        """The default as YAML would write it; "" if the field has none."""
        if "default" not in self.schema:
            return ""
        return json.dumps(self.schema["default"]).replace("null", "none")

    @property
    def description(self) -> str:
        return " ".join(str(self.schema.get("description", "")).split())


def resolve(root: Schema, schema: Schema) -> Schema:
    """`schema` with its $ref followed and an `X or null` reduced to X (the
    field's own keys, such as its description and default, kept)."""
    while True:
        if "$ref" in schema:
            target = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            continue
        options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
        if "anyOf" in schema and len(options) == 1:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            schema = {**options[0], **rest}
            continue
        return schema


def fields(root: Schema, schema: Schema, prefix: str = "") -> list[Field]:
    """The fields of an object schema, in the order the schema gives."""
    schema = resolve(root, schema)
    required = set(schema.get("required", []))
    return [
        Field(f"{prefix}{name}", resolve(root, sub), name in required)
        for name, sub in schema.get("properties", {}).items()
    ]


def every_field(root: Schema, schema: Schema, prefix: str = "") -> Iterator[Field]:
    """Every field at every depth: those of nested objects after their own
    (a mapping of objects, such as Compose's services, as NAME)."""
    for field in fields(root, schema, prefix):
        yield field
        inner = _object_inside(root, field.schema)
        if inner is not None:
            below = f"{field.path}.NAME." if inner is not field.schema else f"{field.path}."
            yield from every_field(root, inner, below)


def _object_inside(root: Schema, schema: Schema) -> Schema | None:
    """The object schema with properties a field holds (itself, or the values
    of a mapping), if any."""
    if "properties" in schema:
        return schema
    values = schema.get("additionalProperties")
    if isinstance(values, dict):
        inner = resolve(root, values)
        if "properties" in inner:
            return inner
    return None


def find(root: Schema, path: str) -> Field | str:
    """The field at a dotted path ("" is the spec itself), or why there is none."""
    found = Field("", resolve(root, root), True)
    for name in [p for p in path.split(".") if p] if path else []:
        inner = _object_inside(root, found.schema)
        known = {f.name: f for f in fields(root, inner, "")} if inner is not None else {}
        if name not in known:
            if not known:
                return f"{found.path} has no fields (it is {type_text(root, found.schema)})"
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (fields: {', '.join(known)})"
            return f"{found.path or 'it'} has no field {name!r}{hint}"
        found = Field(
            f"{found.path}.{name}" if found.path else name, known[name].schema, known[name].required
        )
    return found


# -------------------------------------------------------- the wording

_TYPES = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean"}


def type_text(root: Schema, schema: Schema) -> str:
    """A type in words: `integer`, `list of string`, `map of string`,
    `string | list of string`, `one of tcp, http`, `object`."""
    schema = resolve(root, schema)
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    if "anyOf" in schema:
        return " | ".join(type_text(root, o) for o in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array":
        return f"list of {type_text(root, schema.get('items', {}))}"
    if kind == "object" and "properties" not in schema:
        values = schema.get("additionalProperties")
        return f"map of {type_text(root, values)}" if isinstance(values, dict) else "mapping"
    if kind == "object":
        return "object"
    if kind == "null":
        return "none"
    return _TYPES.get(str(kind), "any")


def limits_text(schema: Schema) -> str:
    """Bounds and forms a value must keep to, e.g. ">= 0, <= 1"."""
    parts = [
        f"{sign} {schema[key]}"
        for key, sign in (
            ("exclusiveMinimum", ">"),
            ("minimum", ">="),
            ("exclusiveMaximum", "<"),
            ("maximum", "<="),
        )
        if key in schema
    ]
    if "pattern" in schema:
        parts.append(f"matches {schema['pattern']}")
    return ", ".join(parts)


def describe(kind: str, root: Schema, field: Field) -> str:
    """What `offerctl KIND explain [FIELD]` prints for a field."""
    lines = [f"KIND:     {kind}"]
    if field.path:
        lines.append(f"FIELD:    {field.path}")
    lines.append(f"TYPE:     {type_text(root, field.schema)}")
    if field.path:
        lines.append("REQUIRED: yes" if field.required else f"DEFAULT:  {field.default or '-'}")
    if limits_text(field.schema):
        lines.append(f"LIMITS:   {limits_text(field.schema)}")
    examples = field.schema.get("examples") or []
    if examples:
        lines.append(f"EXAMPLE:  {json.dumps(examples[0])}")
    lines += ["", "DESCRIPTION:", _indent(field.description or "-", 4)]
    inner = _object_inside(root, field.schema)
    if inner is not None:
        lines += ["", "FIELDS:"]
        for sub in fields(root, inner):
            tail = "-required-" if sub.required else f"default {sub.default}" if sub.default else ""
            lines.append(f"  {sub.name}  <{type_text(root, sub.schema)}>  {tail}".rstrip())
            lines.append(_indent(sub.description or "-", 6))
    return "\n".join(lines)


def _indent(text: str, by: int) -> str:
    return textwrap.fill(text, 78, initial_indent=" " * by, subsequent_indent=" " * by)
