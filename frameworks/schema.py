"""The schema app and job specs are checked against, and how its verdicts
are told: one line per problem, naming the field's full path
(`health_check.interval_seconds: not a number: 'fast'`).

Every spec model is strict (no string is read as a number, no number as a
string) and refuses unknown keys at every depth. Each field carries its
type, default and meaning, so that `offerctl app explain` and docs/specs.md
come from the same place. Pure: no I/O.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
import types
from collections.abc import Sequence
from typing import Annotated, Any, Self, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, to_jsonable_python

from frameworks.checks import NAME_RE, SpecError
from offer.resources import MIN_TASK_MEM

log = logging.getLogger(__name__)


class SpecModel(BaseModel):
    """A part of a spec: strict types, no unknown keys, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


class Spec(SpecModel):
    """A whole app or job spec. One loaded from a store keeps the document it
    was stored as (`stored()`), so that saving it again, and anything derived
    from that document (an app's version), is what it was before, even if the
    schema has changed since."""

    _stored: dict[str, Any] | None = PrivateAttr(default=None)

    @classmethod
    def from_stored(cls, raw: dict[str, Any], what: str) -> Self:
        """A spec read back from a store. One the schema now refuses is still
        loaded (values it refuses replaced by defaults, else unchecked) and the
        problems are logged: stored state is never dropped."""
        try:
            spec = cls.model_validate(raw)
        except ValidationError as err:
            log.warning(
                "%s: stored spec does not pass the current schema; loaded as far as it can "
                "be (redeploy it to fix): %s",
                what,
                "; ".join(problems(err, cls)),
            )
            spec = _lenient(cls, raw)
        spec._stored = raw
        return spec

    def __eq__(self, other: object) -> bool:
        """Equal fields: where a spec was loaded from does not count."""
        return type(other) is type(self) and self.__dict__ == other.__dict__

    __hash__ = SpecModel.__hash__

    def stored(self) -> dict[str, Any]:
        """The document to store: the one it was loaded from, if any (with
        its instances count as now), else its fields."""
        if self._stored is None:
            return self.model_dump(mode="json")
        return {**self._stored, **self.model_dump(mode="json", include=_SCALABLE)}

    def digest(self, *, without: Sequence[str] = (), added: Sequence[str] = ()) -> str:
        """A digest of the stored document but for the fields `without`, and
        the fields `added` to the schema since digests were first kept while
        they hold their defaults: a document stored before they existed and
        the same one deployed again digest alike."""
        fields = type(self).model_fields
        defaults = {
            name: to_jsonable_python(fields[name].get_default(call_default_factory=True))
            for name in added
        }
        body = {
            k: v
            for k, v in self.stored().items()
            if k not in without and (k not in defaults or v != defaults[k])
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]

    def to_yaml(self) -> str:
        import yaml

        return str(yaml.safe_dump(self.stored(), sort_keys=False))


# Fields a control call changes on a stored spec (offerctl app scale).
_SCALABLE = {"instances"}
_M = TypeVar("_M", bound=BaseModel)


def _lenient(model: type[_M], raw: dict[str, Any]) -> _M:
    """Lax validation, dropping each refused value (so its default applies);
    unchecked construction if that is not enough."""
    data = json.loads(json.dumps(raw))
    for _ in range(20):
        try:
            return model.model_validate(data, strict=False)
        except ValidationError as err:
            dropped = [_drop(data, e["loc"]) for e in err.errors()]
            if not any(dropped):
                break
    return model.model_construct(**{k: v for k, v in raw.items() if k in model.model_fields})


def _drop(data: Any, loc: tuple[int | str, ...]) -> bool:
    """Removes the value at `loc` from nested dicts and lists; False if none."""
    for part in loc[:-1]:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(data, dict) and loc and loc[-1] in data:
        del data[loc[-1]]
        return True
    if isinstance(data, list) and loc and isinstance(loc[-1], int) and loc[-1] < len(data):
        del data[loc[-1]]
        return True
    return False


def validate(model: type[_M], raw: object, where: str) -> _M:
    """`raw` checked against `model`; SpecError with one line per problem,
    each starting with `where` (e.g. "app 'web'") and the field's path."""
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        prefix = f"{where}: " if where else ""
        raise SpecError("\n".join(prefix + p for p in problems(err, model))) from None


def validate_item(model: type[_M], raw: object, kind: str, key: str, index: int) -> _M:
    """Item `index` of a document of `kind`s ("app"), named by its `key`
    field ("id") in messages, or by its place if it has none."""
    name = raw.get(key) if isinstance(raw, dict) else None
    where = f"{kind} {name!r}" if isinstance(name, str) and name else f"{kind} #{index + 1}"
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: not a mapping of fields: {raw!r}")
    return validate(model, raw, where)


def json_schemas(spec: type[BaseModel], document: Any) -> tuple[str, str]:
    """The JSON Schema texts of one spec and of a whole document (a type
    that may be a union), as the control APIs give them."""
    return (
        json.dumps(spec.model_json_schema(), indent=2),
        json.dumps(TypeAdapter(document).json_schema(), indent=2),
    )


# ------------------------------------------------------------ the messages

_NOT_A = {
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_BOUNDS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}


def problems(err: ValidationError, model: type[BaseModel]) -> list[str]:
    """Each of pydantic's errors as `path: what is wrong`, for a person. A
    field that takes one of several forms (a mapping or a list, say) gets
    one line naming the forms, not one per form with pydantic's type tags."""
    return _lines(err.errors(include_url=False), model)


def _lines(errors: Sequence[ErrorDetails], model: type[BaseModel]) -> list[str]:
    lines: list[str] = []
    unions: dict[tuple[int | str, ...], list[ErrorDetails]] = {}
    for e in errors:
        cut = _union_branch(e["loc"])
        if cut is None:
            lines.append(_line(e, model))
        else:
            unions.setdefault(tuple(e["loc"][:cut]), []).append(e)
    for loc, branches in unions.items():
        at = len(loc)
        # A branch whose shape fitted (its errors lie deeper than the value
        # itself) says what is wrong inside: those errors, without the tag.
        inside = [b for b in branches if len(b["loc"]) > at + 1]
        if inside:
            untagged = [{**b, "loc": (*loc, *b["loc"][at + 1 :])} for b in inside]
            lines += _lines(untagged, model)  # type: ignore[arg-type]
            continue
        forms = list(dict.fromkeys(_form(str(b["loc"][at])) for b in branches))
        either = ", ".join(forms[:-1]) + " or " + forms[-1] if len(forms) > 1 else forms[0]
        lines.append(f"{path_text(loc)}: not {either}: {branches[0]['input']!r}")
    return lines


def _union_branch(loc: Sequence[int | str]) -> int | None:
    """Where in `loc` pydantic names a branch of a union (a type tag such
    as 'list[str]' or 'dict[str,str]'), if it does."""
    for i, part in enumerate(loc):
        if isinstance(part, str) and ("[" in part or part in _FORMS):
            return i
    return None


def _form(tag: str) -> str:
    return _FORMS.get(tag.split("[", 1)[0], tag)


_FORMS = {
    "dict": "a mapping",
    "list": "a list",
    "str": "a string",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "none": "null",
    "nullable": "null",
}


def path_text(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line(e: ErrorDetails, model: type[BaseModel]) -> str:
    loc, kind, given = e["loc"], e["type"], e.get("input")
    ctx = e.get("ctx") or {}
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
        text = "unknown field" + hint
    elif kind == "missing":
        text = "required"
    elif kind in _NOT_A:
        text = f"not {_NOT_A[kind]}: {given!r}"
        if kind == "string_type" and isinstance(given, int | float):
            text += " (quote it in YAML)"
        example = _example_at(model, loc)
        if example is not None:
            text += f" (e.g. {json.dumps(example)})"
    elif kind in _BOUNDS:
        key, sign = _BOUNDS[kind]
        text = f"must be {sign} {ctx.get(key)}, got {given!r}"
    elif kind == "literal_error":
        text = f"must be one of {ctx.get('expected')}, got {given!r}"
    elif kind == "string_pattern_mismatch":
        text = f"{given!r} {_PATTERN_HINTS.get(str(ctx.get('pattern')), 'has the wrong form')}"
    elif kind in ("too_short", "too_long", "string_too_short"):
        text = _length(kind, ctx, given)
    elif kind == "value_error":
        text = e["msg"].removeprefix("Value error, ")
    else:
        text = e["msg"]
    where = path_text(loc)
    return f"{where}: {text}" if where else text


def _length(kind: str, ctx: dict[str, Any], given: object) -> str:
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} items, got {given!r}"
    return f"has more than {ctx.get('max_length')} items: {given!r}"


def _walk(model: type[BaseModel], loc: Sequence[int | str]) -> list[tuple[Any, FieldInfo | None]]:
    """Each step of `loc` into `model` (a field of a model, an item of a list,
    a value of a mapping): its annotation, and its field if it is one. Shorter
    than `loc` where the path leaves the schema."""
    steps: list[tuple[Any, FieldInfo | None]] = []
    current: Any = model
    for part in loc:
        inner = _unwrap(current)
        field: FieldInfo | None = None
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            field = inner.model_fields.get(str(part))
            current = None if field is None else field.annotation
        else:
            origin, args = get_origin(inner), get_args(inner)
            current = args[-1] if origin in (list, dict) and args else None
        if current is None:
            break
        steps.append((current, field))
    return steps


def _unwrap(annotation: Any) -> Any:
    """The model (or list, or dict) inside Annotated[...] and X | None."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def _fields_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The field names of the model at `loc`, if a model is there."""
    steps = _walk(model, loc)
    if len(steps) != len(loc):
        return []
    inner = _unwrap(steps[-1][0] if steps else model)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return sorted(inner.model_fields)
    return []


def _example_at(model: type[BaseModel], loc: Sequence[int | str]) -> object:
    """The first example of the field `loc` ends at, if it ends at a field."""
    steps = _walk(model, loc)
    if len(steps) != len(loc) or not steps or steps[-1][1] is None:
        return None
    examples = steps[-1][1].examples
    return examples[0] if examples else None


# ------------------------------------------------- types both specs share

NAME_PATTERN = NAME_RE.pattern
_PATTERN_HINTS = {
    NAME_PATTERN: "must be lowercase letters, digits and '-', starting and ending with "
    "a letter or digit (at most 63)",
}


def _command(value: object) -> str | list[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(c, str) for c in value):
        return value
    raise ValueError(f"not a string (run by sh -c) or a list of strings: {value!r}")


Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Command = Annotated[
    str | list[str],
    PlainValidator(_command),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must name a Docker image")
    return text


Image = Annotated[
    str,
    AfterValidator(_not_blank),
    Field(
        description="The Docker image to run, e.g. redis:7 or registry.local/team/app:1.4.",
    ),
]
Cpus = Annotated[float, Field(gt=0, description="CPU cores each task is given (0.5: half a core).")]
Mem = Annotated[
    float,
    Field(ge=MIN_TASK_MEM, description="Memory each task is given, in MiB (its hard limit)."),
]
Env = Annotated[
    dict[str, str],
    Field(
        description="Environment variables of the container (values are strings: "
        "quote numbers in YAML).",
        examples=[{"MODE": "prod", "PORT": "8080"}],
    ),
]
Labels = Annotated[
    dict[str, str],
    Field(
        description="Labels put on the task and its container (values are strings).",
        examples=[{"team": "web"}],
    ),
]
KillGrace = Annotated[
    float,
    Field(
        ge=0,
        description="Seconds between the stop signal (SIGTERM unless the task names "
        "another) and SIGKILL when a task is killed.",
    ),
]


def command_field(default: str = "") -> Any:
    return Field(
        default=default,
        description="The command: a string is run by `sh -c`; a list is the argv. "
        "Empty: the image's own command.",
        examples=["python -m http.server 8080", ["sleep", "300"]],
    )


def pattern_hint(pattern: str, hint: str) -> str:
    """Registers how to say a value does not match `pattern`; returns it."""
    re.compile(pattern)
    _PATTERN_HINTS[pattern] = hint
    return pattern
