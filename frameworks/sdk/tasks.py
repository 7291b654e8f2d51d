"""Helpers every framework otherwise rewrites: building a task, packing tasks
into an offer or several, and placement constraints. Pure functions; no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from frameworks.sdk.interface import Acceptance
from frameworks.sdk.scheduler import Offer
from offer import ranges, wire
from offer.resources import Resources
from offer.tasks import HealthCheck, NamedVolume, PortMapping, TaskSpec, Volume

__all__ = [
    "Constraint",
    "OffersPacking",
    "Packing",
    "Placement",
    "check_constraints",
    "make_task",
    "pack",
    "pack_offers",
    "task_problem",
]


def make_task(
    task_id: str,
    image: str,
    command: str | Sequence[str] = (),
    *,
    cpus: float = 0.1,
    mem: float = 32,
    env: Mapping[str, str] | None = None,
    ports: Sequence[int] = (),
    health_check: HealthCheck | None = None,
    volumes: Sequence[Volume] = (),
    labels: Mapping[str, str] | None = None,
    name: str = "",
    kill_grace_seconds: float = 0.0,
    revocable: bool = False,
    named_volumes: Sequence[NamedVolume] = (),
    entrypoint: Sequence[str] = (),
    stop_signal: str = "",
) -> TaskSpec:
    """A task from an image and a command. A string command runs through
    `sh -c`; a sequence is the argv. `ports` are container ports: `pack`
    gives each a host port from the offer it is launched on. A `revocable`
    task goes on an offer's revocable part (docs/revocable.md).
    `named_volumes` are engine volumes the agent keeps for the framework
    beyond the task (a later task on that agent finds their data);
    `entrypoint` runs in place of the image's, with the command as its
    arguments. `stop_signal` is what a kill sends first (SIGTERM when
    empty), `kill_grace_seconds` before SIGKILL."""
    argv = ("sh", "-c", command) if isinstance(command, str) and command else tuple(command)
    return TaskSpec(
        task_id=task_id,
        name=name or task_id,
        resources=Resources(cpus, mem),
        image=image,
        command=argv,
        env=tuple(sorted((env or {}).items())),
        kill_grace_seconds=kill_grace_seconds,
        labels=tuple(sorted((labels or {}).items())),
        volumes=tuple(volumes),
        port_mappings=tuple(PortMapping(p, 0) for p in ports),
        health_check=health_check,
        revocable=revocable,
        named_volumes=tuple(named_volumes),
        entrypoint=tuple(entrypoint),
        stop_signal=stop_signal,
    )


def task_problem(task: TaskSpec) -> str | None:
    """Why the driver could not send `task` to the master (a string that is
    not valid UTF-8, a number out of the protocol's range), or None. Check a
    task built from a user's spec with it before launching it with others:
    one such task would make the whole accept fail."""
    try:
        wire.task_to_pb(task)
    except (ValueError, TypeError, OverflowError) as err:
        return f"task cannot be sent to the master: {err}"
    return None


@dataclass(frozen=True, slots=True)
class Packing:
    """What `pack` fitted into an offer (ready to accept, host ports set), what
    did not fit, and what is left of the offer."""

    launch: list[TaskSpec]
    left_out: list[TaskSpec]
    remaining: Resources
    # What is left of the offer's revocable part.
    remaining_revocable: Resources = field(default_factory=Resources)


def pack(offer: Offer | Resources, tasks: Iterable[TaskSpec]) -> Packing:
    """Fits tasks into an offer in order (first fit), giving each container
    port without a host port one of the offer's free ports. A task marked
    `revocable` goes into the offer's revocable part (cpus and mem: it may
    ask neither disk nor ports), never into its resources; the others the
    other way round."""
    free = offer.resources if isinstance(offer, Offer) else offer
    lent = offer.revocable if isinstance(offer, Offer) else Resources()
    launch, left_out = [], []
    for spec in tasks:
        if spec.revocable:
            if spec.port_mappings or not lent.contains(spec.resources):
                left_out.append(spec)
            else:
                launch.append(spec)
                lent -= spec.resources
            continue
        placed = _with_host_ports(spec, free.ports)
        if placed is None or not free.contains(placed.resources):
            left_out.append(spec)
            continue
        launch.append(placed)
        free -= placed.resources
    return Packing(launch, left_out, free, lent)


def after(offer: Offer, packing: Packing) -> Offer:
    """The offer as `packing` leaves it: what remains of both its parts."""
    return replace(offer, resources=packing.remaining, revocable=packing.remaining_revocable)


@dataclass(frozen=True, slots=True)
class OffersPacking:
    """What `pack_offers` placed: one Acceptance per offer used (ready for
    `accept_many`, atomic or not), the tasks that fit nowhere, and the ids
    of the offers it left unused (yours to decline)."""

    acceptances: list[Acceptance]
    left_out: list[TaskSpec]
    unused: list[str]


def pack_offers(
    offers: Sequence[Offer], tasks: Iterable[TaskSpec], *, spread: bool = False
) -> OffersPacking:
    """Fits tasks into several offers, each task whole into one offer (host
    ports as `pack` gives them). Binpack by default: each task goes into the
    first offer it fits, so tasks fill few agents. With `spread`, the i-th
    task tries offer i (modulo their number) first, then the following ones,
    so tasks go round-robin across agents."""
    free = list(offers)
    placed: list[list[TaskSpec]] = [[] for _ in offers]
    left_out: list[TaskSpec] = []
    for i, spec in enumerate(tasks):
        first = i % len(offers) if spread and offers else 0
        for k in (*range(first, len(offers)), *range(first)):
            packing = pack(free[k], [spec])
            if packing.launch:
                placed[k] += packing.launch
                free[k] = after(free[k], packing)
                break
        else:
            left_out.append(spec)
    pairs = list(zip(offers, placed, strict=True))
    return OffersPacking(
        [Acceptance([offer.offer_id], launch) for offer, launch in pairs if launch],
        left_out,
        [offer.offer_id for offer, launch in pairs if not launch],
    )


def _with_host_ports(spec: TaskSpec, available: ranges.Ranges) -> TaskSpec | None:
    wanted = [m for m in spec.port_mappings if m.host_port == 0]
    if not wanted:
        return spec
    fixed = tuple((m.host_port, m.host_port) for m in spec.port_mappings if m.host_port)
    pool = ranges.difference(available, fixed)
    picked = [b for b, e in ranges.first(pool, len(wanted)) for b in range(b, e + 1)]
    if len(picked) < len(wanted):
        return None
    hosts = iter(picked)
    mappings = tuple(
        replace(m, host_port=next(hosts)) if m.host_port == 0 else m for m in spec.port_mappings
    )
    taken = ranges.normalize((m.host_port, m.host_port) for m in mappings)
    resources = replace(spec.resources, ports=ranges.union(spec.resources.ports, taken))
    return replace(spec, port_mappings=mappings, resources=resources)


# ----------------------------------------------------------------- placement


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an instance already runs (or is being launched). `agent_id`
    tells agents apart that share a hostname; "" where it is not known
    (placement then counts by hostname)."""

    hostname: str
    attributes: Mapping[str, str]
    agent_id: str = ""


_OPERATORS = ("UNIQUE", "CLUSTER", "LIKE", "UNLIKE", "MAX_PER", "IS")


@dataclass(frozen=True, slots=True)
class Constraint:
    """A Marathon-style placement rule on "hostname" or an agent attribute.

    UNIQUE: at most one instance per value. CLUSTER/IS: only where the field
    equals `value`. LIKE/UNLIKE: only where it does / does not match the
    regular expression `value`. MAX_PER: at most int(value) per value.
    """

    field: str
    operator: str
    value: str = ""

    def problem(self) -> str | None:
        """Why this constraint is malformed, or None."""
        if self.operator not in _OPERATORS:
            return f"unknown operator {self.operator!r} (one of {', '.join(_OPERATORS)})"
        if self.operator in ("CLUSTER", "IS", "LIKE", "UNLIKE", "MAX_PER") and not self.value:
            return f"{self.operator} on {self.field!r} needs a value"
        if self.operator == "MAX_PER" and not self.value.isdigit():
            return f"MAX_PER on {self.field!r} needs a whole number, got {self.value!r}"
        if self.operator in ("LIKE", "UNLIKE"):
            try:
                re.compile(self.value)
            except re.error as err:
                return f"{self.operator} on {self.field!r}: bad regular expression ({err})"
        return None


def _field_of(field: str, hostname: str, attributes: Mapping[str, str]) -> str | None:
    return hostname if field == "hostname" else attributes.get(field)


def check_constraints(
    constraints: Sequence[Constraint], offer: Offer, placed: Sequence[Placement]
) -> str | None:
    """None if an instance may go on `offer`'s agent given the instances
    already `placed`; otherwise a sentence saying which rule says no."""
    for c in constraints:
        here = _field_of(c.field, offer.hostname, offer.attributes)
        if here is None:
            return f"agent {offer.hostname} has no attribute {c.field!r} ({c.operator})"
        same = sum(1 for p in placed if _field_of(c.field, p.hostname, p.attributes) == here)
        if c.operator == "UNIQUE" and same:
            return f"UNIQUE {c.field}: {here} already runs an instance"
        if c.operator in ("CLUSTER", "IS") and here != c.value:
            return f"{c.operator} {c.field}:{c.value}: agent has {c.field}={here}"
        if c.operator == "LIKE" and not re.fullmatch(c.value, here):
            return f"LIKE {c.field}:{c.value}: agent has {c.field}={here}"
        if c.operator == "UNLIKE" and re.fullmatch(c.value, here):
            return f"UNLIKE {c.field}:{c.value}: agent has {c.field}={here}"
        if c.operator == "MAX_PER" and same >= int(c.value):
            return f"MAX_PER {c.field}:{c.value}: {here} already runs {same}"
    return None
