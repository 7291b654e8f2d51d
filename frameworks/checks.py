"""Checks both frameworks make of a spec at submit beyond its schema
(frameworks/schema.py): the document is YAML, names are unique,
dependencies exist and are not circular, and a task is not larger than any
offer seen. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import yaml

from frameworks.sdk import Offer, Resources
from offer.yamlerrors import yaml_error_line


class SpecError(ValueError):
    """A spec that cannot be deployed or submitted; the message names the field."""


def load_document(text: str) -> object:
    """The YAML document in `text`. Raises SpecError."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise SpecError(f"not valid YAML: {yaml_error_line(err, 'document')}") from None


def listed(doc: object, key: str) -> list[object]:
    """The items of a document: one item, a list, or a list under `key:`
    (e.g. "apps"). Raises SpecError for an empty list: a deploy of nothing
    is a mistake, not a success."""
    if isinstance(doc, dict) and set(doc) == {key}:
        doc = doc[key]
    items = doc if isinstance(doc, list) else [doc]
    if not items:
        raise SpecError(f"the document holds no {key}: give one, a list, or a list under '{key}:'")
    return items


def check_unique(names: Sequence[str], what: str) -> None:
    """Raises SpecError if a name appears twice (`what`: e.g. "a job name")."""
    if len(set(names)) != len(names):
        raise SpecError(f"{what} appears twice: {sorted(names)}")


# App ids and job names alike: they end up in task ids and DNS-like labels.
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def growing_delay(first: float, factor: float, steps: int, ceiling: float) -> float:
    """first * factor ** steps, at most `ceiling`, however large `steps` is
    (a float power overflows, raising, after a few thousand)."""
    try:
        return min(first * factor**steps, ceiling)
    except OverflowError:
        return ceiling


def dependency_problem(
    graph: Mapping[str, Sequence[str]], kind: str, field: str, absent: str
) -> str | None:
    """Why `graph` (name -> the names it depends on) cannot be run, or None.
    The words name things in the message: "job", "'depends_on'", "submitted"."""
    for name in sorted(graph):
        for dep in graph[name]:
            if dep not in graph:
                return f"{kind} {name!r}: field {field} names {dep!r}, which is not {absent}"
    state: dict[str, str] = {}

    def cycle_from(name: str, path: list[str]) -> str | None:
        if state.get(name) == "done":
            return None
        if state.get(name) == "visiting":
            cycle = " -> ".join([*path[path.index(name) :], name])
            return f"{kind} {name!r}: field {field} is circular: {cycle}"
        state[name] = "visiting"
        for dep in graph[name]:
            found = cycle_from(dep, [*path, name])
            if found:
                return found
        state[name] = "done"
        return None

    for name in sorted(graph):
        found = cycle_from(name, [])
        if found:
            return found
    return None


def largest_offer(current: Resources | None, offers: Iterable[Offer]) -> Resources | None:
    """The largest offer (without ports) seen so far, given new offers."""
    for offer in offers:
        found = offer.resources.without_ports()
        if current is None or not current.contains(found):
            current = found
    return current


def check_fits(
    kind: str, sizes: Iterable[tuple[str, float, float]], largest: Resources | None
) -> None:
    """Raises SpecError for the first (name, cpus, mem) whose task can never
    launch: larger than any offer seen (nothing is refused before one is)."""
    if largest is None:
        return
    for name, cpus, mem in sizes:
        if cpus > largest.cpus or mem > largest.mem:
            raise SpecError(
                f"{kind} {name!r}: fields 'cpus'/'mem' ({cpus:g} cpu, {mem:g} MiB) are more "
                f"than any offer seen so far ({largest}); no agent can run it"
            )
