"""Checks both frameworks make of a spec at submit: dependencies between
named things (apps, jobs) exist and are not circular, and a task is not
larger than any offer seen. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from offer.frameworks.sdk import Offer, Resources


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


def size_problem(
    kind: str, name: str, cpus: float, mem: float, largest: Resources | None
) -> str | None:
    """Why a task of this size can never launch, or None (also while no offer was seen)."""
    if largest is None or (cpus <= largest.cpus and mem <= largest.mem):
        return None
    return (
        f"{kind} {name!r}: fields 'cpus'/'mem' ({cpus:g} cpu, {mem:g} MiB) are more than "
        f"any offer seen so far ({largest}); no agent can run it"
    )
