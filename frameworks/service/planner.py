"""The service framework's decisions, as a pure function: from what should
run, what runs and the offers at hand, to what to launch where, what to
kill, and why anything missing is still missing. No I/O, no clock."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from frameworks.sdk import (
    Offer,
    Packing,
    Placement,
    Resources,
    TaskSpec,
    check_constraints,
    pack,
    rank_offers,
)
from frameworks.service.spec import AppSpec, largest_fit_problem
from offer import ranges
from offer.addresses import host_port as host_port_text
from offer.tasks import TaskState


@dataclass(frozen=True, slots=True)
class InstanceView:
    task_id: str
    app_id: str
    version: str
    state: TaskState
    hostname: str
    attributes: Mapping[str, str]
    healthy: bool | None
    created_at: float
    # Host ports, in the order of the app's container ports.
    host_ports: tuple[int, ...] = ()
    # Its agent's advertised address; "" for an instance placed before
    # agents advertised one.
    address: str = ""
    # Its agent's id ("" if unknown: placement counts it by hostname then).
    agent_id: str = ""
    # A kill was asked for (its KILLING may not have arrived yet).
    kill_asked: bool = False
    # Which instance of an app with named volumes it is (whose volumes it
    # mounts): 0 .. instances-1; -1 for an app without.
    slot: int = -1

    @property
    def reached_at(self) -> str:
        """Where other tasks reach it: its agent's address, or its hostname
        for an instance placed before addresses existed."""
        return self.address or self.hostname

    @property
    def live(self) -> bool:
        """Not terminal: its container may run, and it takes resources (one
        being killed too, until its end is seen)."""
        return not self.state.is_terminal

    @property
    def being_killed(self) -> bool:
        return self.live and (self.kill_asked or self.state == TaskState.KILLING)

    def ready(self, has_check: bool) -> bool:
        """Running, not being killed, and healthy if the app checks health."""
        return (
            self.state == TaskState.RUNNING
            and not self.kill_asked
            and (self.healthy is True or not has_check)
        )


@dataclass(frozen=True, slots=True)
class AppView:
    spec: AppSpec
    version: str
    instances: Sequence[InstanceView]
    backoff_until: float = 0.0
    failures: int = 0
    # Why its tasks cannot be launched at all (e.g. one the driver cannot
    # send); nothing is launched for it until it is deployed again.
    broken: str = ""
    # Instance slot -> the agent holding its named volumes (agent id,
    # hostname): that instance is launched there and nowhere else.
    volume_agents: Mapping[int, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Plan:
    # offer id -> (offer, [(app id, task)]) to accept.
    launches: dict[str, tuple[Offer, list[tuple[str, TaskSpec]]]] = field(default_factory=dict)
    kills: list[str] = field(default_factory=list)
    # app id -> why fewer instances run than are wanted.
    waiting: dict[str, str] = field(default_factory=dict)
    # True while some app could use an offer (not backing off, not complete).
    wants_offers: bool = False
    # The earliest end of a backoff: offers are wanted again from then on.
    retry_at: float | None = None
    # app id -> the error planning it raised: the app is left out, the others go on.
    errors: dict[str, str] = field(default_factory=dict)
    # task id -> the instance slot it was launched for (apps with named volumes).
    slots: dict[str, int] = field(default_factory=dict)
    # app id -> which instances wait for the agent that holds their volumes.
    pinned: dict[str, str] = field(default_factory=dict)


def plan(
    apps: Sequence[AppView],
    offers: Sequence[Offer],
    now: float,
    new_task_id: Callable[[str], str],
    largest_seen: Resources | None = None,
) -> Plan:
    result = Plan()
    free = {o.offer_id: o.resources for o in offers}
    endpoints = {a.spec.id: _endpoint(a) for a in apps}
    for app in sorted(apps, key=lambda a: a.spec.id):
        result.kills += _kills(app)
        need = _launches_wanted(app)
        if need <= 0:
            continue
        missing = [d for d in app.spec.dependencies() if endpoints.get(d) is None]
        if missing:
            result.waiting[app.spec.id] = (
                f"waiting for dependencies to be ready: {', '.join(missing)}"
            )
            continue
        if app.broken:
            result.waiting[app.spec.id] = f"cannot launch: {app.broken}"
            continue
        if now < app.backoff_until:
            result.retry_at = min(result.retry_at or app.backoff_until, app.backoff_until)
            until = datetime.datetime.fromtimestamp(app.backoff_until).strftime("%H:%M:%S")
            result.waiting[app.spec.id] = (
                f"backing off until {until} after {app.failures} failures in a row"
            )
            continue
        before = dict(free)
        try:
            link_env = _link_env(app.spec, apps, endpoints)
            if app.spec.has_named_volumes:
                _place_pinned(app, need, offers, free, link_env, new_task_id, result)
            else:
                _place(app, need, offers, free, link_env, new_task_id, result)
        except Exception as err:  # one app's fault must not stop the others
            error = f"{type(err).__name__}: {err}"
            result.errors[app.spec.id] = error
            result.waiting[app.spec.id] = f"cannot launch: {error}"
            free.update(before)
            for _, tasks in result.launches.values():
                tasks[:] = [(a, t) for a, t in tasks if a != app.spec.id]
            continue
        if app.spec.id in result.pinned:
            result.wants_offers = True
            result.waiting[app.spec.id] = result.pinned[app.spec.id]
        elif app.spec.id in result.waiting:
            result.wants_offers = True
            result.waiting[app.spec.id] = why_waiting(
                app.spec, offers, free, result.waiting[app.spec.id], largest_seen
            )
    result.launches = {k: v for k, v in result.launches.items() if v[1]}
    return result


def _place(
    app: AppView,
    need: int,
    offers: Sequence[Offer],
    free: dict[str, Resources],
    link_env: Mapping[str, str],
    new_task_id: Callable[[str], str],
    result: Plan,
) -> None:
    """Places up to `need` instances of one app, one at a time, each on the
    offer its placement ranks first (spread: where the fewest of the app
    run, counting those placed in this pass, so that one pass interleaves
    over the agents) among those with room that the constraints allow. If
    some are left, result.waiting says which constraint refused an offer
    (or "" if none did), for why_waiting to complete."""
    placed = [Placement(i.hostname, i.attributes, i.agent_id) for i in app.instances if i.live]
    template = app.spec.task("")
    # Offer id -> the constraint that refused it: instances placed only
    # tighten constraints, so it stays out for this app in this pass.
    refused: dict[str, str] = {}
    while need > 0:
        chosen = _next_offer(app.spec, template, offers, placed, free, refused)
        if chosen is None:
            break
        _launch(app, chosen, free, link_env, new_task_id, result, placed)
        need -= 1
    if need > 0:
        result.waiting[app.spec.id] = _refusal(offers, refused)


def _launch(
    app: AppView,
    chosen: tuple[Offer, Packing],
    free: dict[str, Resources],
    link_env: Mapping[str, str],
    new_task_id: Callable[[str], str],
    result: Plan,
    placed: list[Placement],
    **changes: Any,
) -> TaskSpec:
    """Records an instance launched on the chosen offer (its task with a new
    id, the link variables and `changes`), taking what it uses from `free`."""
    offer, packed = chosen
    free[offer.offer_id] = packed.remaining
    # An id only for a real launch: ids name attempts in logs.
    launch = replace(
        packed.launch[0],
        task_id=new_task_id(app.spec.id),
        env=tuple(sorted({**dict(packed.launch[0].env), **link_env}.items())),
        **changes,
    )
    result.launches.setdefault(offer.offer_id, (offer, []))[1].append((app.spec.id, launch))
    placed.append(Placement(offer.hostname, offer.attributes, offer.agent_id))
    return launch


def _refusal(offers: Sequence[Offer], refused: Mapping[str, str]) -> str:
    """The constraint that refused an offer, if every offer was refused by
    one (for why_waiting to complete); else ""."""
    if not offers or len(refused) < len(offers):
        return ""
    return next((refused[o.offer_id] for o in offers if o.offer_id in refused), "")


def _place_pinned(
    app: AppView,
    need: int,
    offers: Sequence[Offer],
    free: dict[str, Resources],
    link_env: Mapping[str, str],
    new_task_id: Callable[[str], str],
    result: Plan,
) -> None:
    """Places up to `need` instances of an app with named volumes, each
    into a slot (0 .. instances-1) no live instance holds, lowest first. A
    slot whose volumes are on an agent goes back to that agent, constraints
    aside (its data is there), or waits for it, as Marathon's resident
    tasks do; a slot without goes where _place would put an instance."""
    held = {i.slot for i in app.instances if i.live}
    placed = [Placement(i.hostname, i.attributes, i.agent_id) for i in app.instances if i.live]
    template = app.spec.task("")
    refused: dict[str, str] = {}
    unplaced: list[str] = []
    awaited: list[str] = []
    for slot in range(app.spec.instances):
        if need <= 0:
            break
        if slot in held:
            continue
        pinned_to = app.volume_agents.get(slot)
        if pinned_to is None:
            chosen = _next_offer(app.spec, template, offers, placed, free, refused)
        else:
            chosen = _offer_of(pinned_to[0], template, offers, free)
        if chosen is None:
            if pinned_to is None:
                unplaced.append(str(slot))
            else:
                awaited.append(f"instance {slot} for agent {pinned_to[1]} ({pinned_to[0]})")
            continue
        launch = _launch(
            app,
            chosen,
            free,
            link_env,
            new_task_id,
            result,
            placed,
            named_volumes=app.spec.named_volumes(slot),
        )
        result.slots[launch.task_id] = slot
        need -= 1
    if awaited:
        result.pinned[app.spec.id] = (
            f"waiting for the agent that holds its volumes: {', '.join(awaited)} (an instance "
            "with named volumes is launched only where they are)"
        )
    elif unplaced:
        result.waiting[app.spec.id] = _refusal(offers, refused)


def _offer_of(
    agent_id: str, template: TaskSpec, offers: Sequence[Offer], free: Mapping[str, Resources]
) -> tuple[Offer, Packing] | None:
    """The offer of `agent_id` with room for one more instance, packed."""
    for offer in offers:
        if offer.agent_id == agent_id:
            packed = pack(free[offer.offer_id], [template])
            if packed.launch:
                return offer, packed
    return None


def _next_offer(
    spec: AppSpec,
    template: TaskSpec,
    offers: Sequence[Offer],
    placed: Sequence[Placement],
    free: Mapping[str, Resources],
    refused: dict[str, str],
) -> tuple[Offer, Packing] | None:
    """The offer the app's placement ranks first among those with room for
    one more instance that its constraints allow (noting in `refused` those
    they refuse), and the instance packed into it; None if there is none."""
    constraints = spec.parsed_constraints()
    candidates = [o for o in offers if o.offer_id not in refused]
    ranked = rank_offers(
        candidates, placed, strategy=spec.placement, spread_by=spec.spread_by, free=free
    )
    for offer in ranked:
        refusal = check_constraints(constraints, offer, placed)
        if refusal:
            refused[offer.offer_id] = refusal
            continue
        packed = pack(free[offer.offer_id], [template])
        if packed.launch:
            return offer, packed
    return None


def _kills(app: AppView) -> list[str]:
    """Scale-down (newest first), and old versions as a rolling update
    allows. Instances already being killed are not chosen again, and do
    not make room for more kills: they are not ready."""
    active = [i for i in app.instances if i.live and not i.being_killed]
    current = [i for i in active if i.version == app.version]
    kills: list[str] = []
    excess = len(current) - app.spec.instances
    if excess > 0:
        # With named volumes, the highest instances go: a scale-up brings
        # back the same ones, whose volumes stayed on their agents.
        newest_first = sorted(current, key=lambda i: (i.slot, i.created_at), reverse=True)
        kills += [i.task_id for i in newest_first[:excess]]
    return kills + _old_to_kill(app, active, current)


def _old_to_kill(
    app: AppView, active: list[InstanceView], current: list[InstanceView]
) -> list[str]:
    """Old instances that are not ready go at once; ready ones only while at
    least `keep_ready` of the app stay ready without them."""
    has_check = app.spec.health_check is not None
    old = sorted((i for i in active if i.version != app.version), key=lambda i: i.created_at)
    not_ready = [i.task_id for i in old if not i.ready(has_check)]
    ready_old = [i.task_id for i in old if i.ready(has_check)]
    ready_new = sum(1 for i in current if i.ready(has_check))
    keep_ready, _ = bounds(app.spec)
    removable = max(0, ready_new + len(ready_old) - keep_ready)
    return not_ready + ready_old[:removable]


def bounds(spec: AppSpec) -> tuple[int, int]:
    """A rolling update's promises: (ready instances kept, most live at
    once), from minimum_health_capacity and maximum_over_capacity of
    `instances`, rounded up. Live counts every instance not yet terminal,
    those being killed too (their containers run out their grace period),
    as Marathon counts them. When no step could be taken within both (no
    room over `instances` and every instance to stay ready: 1.0 and 0),
    one instance may be down, as Marathon and Kubernetes resolve it. An
    app with named volumes has no room over `instances` (one container at
    a time mounts an instance's volumes), as Marathon's resident apps."""
    wanted = spec.instances
    keep_ready = math.ceil(wanted * spec.minimum_health_capacity)
    # One container at a time uses an instance's named volumes.
    over = 0.0 if spec.has_named_volumes else spec.maximum_over_capacity
    most_live = wanted + math.ceil(wanted * over)
    if wanted and keep_ready >= most_live:
        keep_ready = most_live - 1
    return keep_ready, most_live


def _launches_wanted(app: AppView) -> int:
    """Instances of the current version missing, as many as fit under the
    ceiling of live instances: without old versions or kills in flight
    that is all of them; while instances are being killed (a rolling
    update, a scale-down, an unhealthy one replaced) they still count."""
    live = [i for i in app.instances if i.live]
    current = sum(1 for i in live if i.version == app.version and not i.being_killed)
    _, most_live = bounds(app.spec)
    return max(0, min(app.spec.instances - current, most_live - len(live)))


def _endpoint(app: AppView) -> tuple[str, tuple[int, ...]] | None:
    """Address and host ports of the app's oldest ready instance, if any:
    where a task on any host reaches it."""
    has_check = app.spec.health_check is not None
    ready = sorted((i for i in app.instances if i.ready(has_check)), key=lambda i: i.created_at)
    return (ready[0].reached_at, ready[0].host_ports) if ready else None


def _link_env(
    spec: AppSpec,
    apps: Sequence[AppView],
    endpoints: Mapping[str, tuple[str, tuple[int, ...]] | None],
) -> dict[str, str]:
    """Docker's legacy link variables for each of `spec.links`:
    ALIAS_PORT=tcp://ADDR:PORT and ALIAS_PORT_<p>_TCP[_ADDR|_PORT|_PROTO], with
    the target's agent's address (an IPv6 one in brackets in the URLs)."""
    specs = {a.spec.id: a.spec for a in apps}
    env: dict[str, str] = {}
    for link in spec.links:
        target, _, alias = link.partition(":")
        endpoint = endpoints.get(target)
        if endpoint is None:
            continue
        host, host_ports = endpoint
        prefix = re.sub(r"[^A-Z0-9]", "_", (alias or target).upper())
        for index, (container_port, host_port) in enumerate(
            zip(specs[target].ports, host_ports, strict=False)
        ):
            url = f"tcp://{host_port_text(host, host_port)}"
            if index == 0:
                env[f"{prefix}_PORT"] = url
            base = f"{prefix}_PORT_{container_port}_TCP"
            env.update(
                {
                    base: url,
                    f"{base}_ADDR": host,
                    f"{base}_PORT": str(host_port),
                    f"{base}_PROTO": "tcp",
                }
            )
    return env


def why_waiting(
    spec: AppSpec,
    offers: Sequence[Offer],
    free: Mapping[str, Resources],
    refused: str,
    largest: Resources | None,
) -> str:
    """Why an instance of `spec` found no room: larger than any offer seen,
    no offers, a constraint every offer broke (`refused`), or which resource
    the offers were short of, by how much, on how many agents, and what to
    do about it."""
    too_big = largest_fit_problem(spec, largest)
    if too_big:
        return too_big
    if not offers:
        return "waiting for offers"
    if refused:
        return f"no agent matches the constraints: {refused}"
    return shortage(spec, [free[o.offer_id] for o in offers]) or (
        "waiting for an offer with enough free resources"
    )


def shortage(spec: AppSpec, offered: Sequence[Resources]) -> str:
    """Which resources the offered amounts (one per agent) lack for one
    instance, e.g. "needs 1 host port; 3 agents offered none: give agents
    ports with --resources 'ports:[31000-32000]'"."""
    needed = spec.resources()
    parts = []
    want_ports = len(spec.ports)
    ports = [ranges.size(r.ports) for r in offered]
    short = [p for p in ports if p < want_ports]
    if short:
        has = "none" if max(short) == 0 else f"at most {max(short)} free"
        parts.append(
            f"needs {want_ports} host port{'s' * (want_ports > 1)}; {_agents(len(short))} "
            f"offered {has}: give agents ports with --resources 'ports:[31000-32000]'"
        )
    for kind, unit in (("cpus", " cpus"), ("mem", " MiB mem"), ("disk", " MiB disk")):
        want = getattr(needed, kind)
        have = [getattr(r, kind) for r in offered if getattr(r, kind) < want]
        if have:
            parts.append(
                f"needs {want:g}{unit}; {_agents(len(have))} offered at most {max(have):g} "
                f"(short by {want - max(have):g}): free some (scale down other apps) or add "
                f"an agent with more (--resources '{kind}:N')"
            )
    return ". ".join(parts)


def _agents(count: int) -> str:
    return f"{count} agent{'s' * (count != 1)}"
