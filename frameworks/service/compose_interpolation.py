"""Variable interpolation in Compose files, as the Compose specification
defines it (https://github.com/compose-spec/compose-spec, "Interpolation").

Pure: the caller gives the variables (offerctl: its own environment over a
`.env` beside the file, the environment winning as in Compose).

    $VAR ${VAR}        the value; unset: "" (with a warning)
    ${VAR:-default}    default when VAR is unset or empty
    ${VAR-default}     default when VAR is unset
    ${VAR:?message}    refused with message when VAR is unset or empty
    ${VAR?message}     refused with message when VAR is unset
    ${VAR:+other}      other when VAR is set and not empty, else ""
    ${VAR+other}       other when VAR is set, else ""
    $$                 a literal $

Defaults and messages may themselves hold variables (`${A:-${B}}`). Only
values are interpolated, never keys, as Compose does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Interpolated", "InterpolationError", "interpolate", "parse_dotenv"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Longest first: ":-" before "-".
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class InterpolationError(ValueError):
    """A `${VAR?message}` whose variable is missing, or a malformed `${...}`;
    the message names the path of the value in the file."""


@dataclass
class Interpolated:
    """The document with every value interpolated, and a warning per
    variable that was used but set nowhere (Compose warns and uses "")."""

    doc: Any
    unset: list[str] = field(default_factory=list)


def interpolate(doc: Any, variables: Mapping[str, str]) -> Interpolated:
    """`doc` (parsed YAML) with every string value interpolated from
    `variables`. Raises InterpolationError naming the value's path."""
    unset: list[str] = []
    result = _walk(doc, variables, "", unset)
    return Interpolated(result, sorted(set(unset)))


def _walk(node: Any, variables: Mapping[str, str], path: str, unset: list[str]) -> Any:
    if isinstance(node, str):
        try:
            return _Scanner(node, variables, unset).value()
        except InterpolationError as err:
            raise InterpolationError(f"{path or '(top)'}: {err}") from None
    if isinstance(node, dict):
        return {
            key: _walk(value, variables, f"{path}.{key}" if path else str(key), unset)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_walk(item, variables, f"{path}[{i}]", unset) for i, item in enumerate(node)]
    return node


class _Scanner:
    """One string, read left to right; `${...}` may nest in its default."""

    def __init__(self, text: str, variables: Mapping[str, str], unset: list[str]) -> None:
        self.text = text
        self.at = 0
        self.variables = variables
        self.unset = unset

    def value(self) -> str:
        return self._until(closing=False)

    def _until(self, *, closing: bool) -> str:
        """Text up to the end (or, within `${...}`, up to its `}`)."""
        out: list[str] = []
        text = self.text
        while self.at < len(text):
            char = text[self.at]
            if closing and char == "}":
                return "".join(out)
            if char != "$":
                out.append(char)
                self.at += 1
                continue
            nxt = text[self.at + 1 : self.at + 2]
            if nxt == "$":
                out.append("$")
                self.at += 2
            elif nxt == "{":
                self.at += 2
                out.append(self._braced())
            elif (name := _NAME.match(text, self.at + 1)) is not None:
                self.at = name.end()
                out.append(self._lookup(name[0]))
            else:  # a lone "$" (e.g. "costs 5$") stays, as in Compose
                out.append("$")
                self.at += 1
        if closing:
            raise InterpolationError(f"invalid interpolation format: {text!r} (missing '}}')")
        return "".join(out)

    def _braced(self) -> str:
        """After `${`: NAME, then `}` or an operator, its argument and `}`."""
        name = _NAME.match(self.text, self.at)
        if name is None:
            raise InterpolationError(
                f"invalid interpolation format: {self.text!r} (a variable name must follow '${{')"
            )
        self.at = name.end()
        operator = next((op for op in _OPERATORS if self.text.startswith(op, self.at)), "")
        self.at += len(operator)
        argument = self._until(closing=True) if operator else ""
        if self.at >= len(self.text):
            raise InterpolationError(f"invalid interpolation format: {self.text!r} (missing '}}')")
        if self.text[self.at] != "}":
            raise InterpolationError(
                f"invalid interpolation format: {self.text!r} (unexpected "
                f"{self.text[self.at : self.at + 1]!r} after '${{{name[0]}')"
            )
        self.at += 1
        return self._apply(name[0], operator, argument)

    def _apply(self, name: str, operator: str, argument: str) -> str:
        value = self.variables.get(name)
        present = value is not None and (value != "" or not operator.startswith(":"))
        if operator in (":-", "-"):
            return value if present and value is not None else argument
        if operator in (":+", "+"):
            return argument if present else ""
        if operator in (":?", "?"):
            if not present or value is None:
                why = "is not set" if value is None else "is empty"
                raise InterpolationError(f"variable {name} {why}: {argument or 'required'}")
            return value
        return self._lookup(name)

    def _lookup(self, name: str) -> str:
        value = self.variables.get(name)
        if value is None:
            self.unset.append(name)
            return ""
        return value


_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def parse_dotenv(text: str) -> dict[str, str]:
    """A `.env` file as Compose reads it: NAME=value lines, `#` comments,
    an optional `export `, values in single quotes (taken as they are),
    double quotes (\\n and \\" escapes) or bare (a ` #` starts a comment).
    Raises ValueError naming the line that is none of these."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _DOTENV_LINE.match(line)
        if match is None:
            raise ValueError(f"line {number}: not NAME=value: {line!r}")
        found[match[1]] = _dotenv_value(match[2].strip(), number)
    return found


def _dotenv_value(raw: str, number: int) -> str:
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        while quote == '"' and end > 0 and raw[end - 1] == "\\":
            end = raw.find(quote, end + 1)
        if end < 0:
            raise ValueError(f"line {number}: unterminated {quote} quote")
        inner = raw[1:end]
        if quote == "'":
            return inner
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], "\\" + m[1]), inner)
    return re.split(r"\s+#", raw, maxsplit=1)[0].rstrip()
