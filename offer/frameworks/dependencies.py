"""Dependencies between named things (apps, jobs): every one must exist and
none may be circular. Shared by both frameworks' spec checks. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


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
