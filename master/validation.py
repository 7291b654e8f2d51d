"""Checks of what frameworks and agents send, each returning a message that
names the faulty field and says what would be right (None when all is well).
Pure functions, so that every rule is unit-testable."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Mapping, Sequence

from offer import ranges
from offer.ids import ID_RULE, TASK_ID_RULE, VOLUME_NAME_RULE, is_id, is_task_id, is_volume_name
from offer.resources import MIN_TASK_MEM, Resources
from offer.tasks import TaskSpec, stop_signal_problem

_ROLE_RE = re.compile(r"^(\*|[A-Za-z0-9_][A-Za-z0-9._-]{0,63})$")
MAX_TASKS_PER_ACCEPT = 1000


def _finite(res: Resources) -> bool:
    return all(math.isfinite(v) and v >= 0 for v in (res.cpus, res.mem, res.disk))


def check_agent(agent_id: str, total: Resources, address: str = "") -> str | None:
    """A registration: an id it brings (empty when new), its resources, and
    the address it advertises (empty from an agent older than addresses)."""
    if agent_id and not is_id(agent_id):
        return f"agent id {agent_id!r} is malformed: use {ID_RULE}"
    return check_agent_address(address) or check_agent_total(total)


def check_agent_address(address: str) -> str | None:
    """An advertised address is an IP literal: tasks, health checks and links
    are handed it, and a hostname is something no container may resolve."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return (
            f"agent address {address!r} is not an IP address: advertise an IPv4 or IPv6 "
            "literal other hosts reach this agent at (offer-agent --advertise-address), "
            "e.g. 10.0.0.5"
        )
    # A zone (fe80::1%eth0) names an interface of the agent's own host.
    if ip.is_unspecified or ip.is_multicast or "%" in address:
        return (
            f"agent address {address!r} is not one other hosts can reach (unspecified, "
            "multicast or with a zone): advertise the IP other hosts reach this agent at "
            "(offer-agent --advertise-address), e.g. 10.0.0.5"
        )
    return None


def check_agent_total(total: Resources) -> str | None:
    if not _finite(total):
        return f"agent resources must be finite and >= 0, got {total}"
    if total.cpus <= 0 or total.mem < MIN_TASK_MEM:
        return f"agent resources {total} are too small to run any task"
    return None


def check_reservation_amount(amount: Resources, where: str) -> str | None:
    """An amount to reserve or unreserve: cpus, mem, disk, finite, >= 0, not
    nothing."""
    if amount.ports:
        return f"{where}: ports cannot be reserved (reserve cpus, mem or disk)"
    if not _finite(amount):
        return f"{where}: amounts must be finite numbers >= 0, got {amount}"
    if amount.is_empty():
        return f"{where}: the amount is empty; give cpus, mem or disk (e.g. 'cpus:1;mem:512')"
    return None


def check_reserved_role(role: str, where: str) -> str | None:
    """A role something is reserved for: well formed and not '*' (unreserved)."""
    if role == "*":
        return f"{where}: '*' is the unreserved role; reserve for a named role, e.g. 'prod'"
    problem = check_role(role)
    return f"{where}: {problem}" if problem else None


def check_static_reservations(total: Resources, reserved: Mapping[str, Resources]) -> str | None:
    """An agent's static reservations: each for a named role, of cpus, mem
    and disk, and together within its total."""
    for role, amount in sorted(reserved.items()):
        where = f"static reservation for role {role!r}"
        problem = check_reserved_role(role, where) or check_reservation_amount(amount, where)
        if problem:
            return problem
    together = sum(reserved.values(), Resources())
    if not total.contains(together):
        return (
            f"static reservations ({together}) exceed the agent's total {total} "
            f"({total.shortfall(together)}): the total must include them"
        )
    return None


def check_role(role: str) -> str | None:
    if not _ROLE_RE.match(role):
        return (
            f"role {role!r} is malformed: use '*' or up to 64 letters, digits and '._-', "
            "not starting with '.' or '-'"
        )
    return None


def check_task(spec: TaskSpec) -> str | None:
    where = f"task {spec.task_id!r}"
    if not is_task_id(spec.task_id):
        return f"task_id {spec.task_id!r} is malformed: use {TASK_ID_RULE}"
    if not spec.image.strip():
        return f"{where}: container.image is empty; name a Docker image, e.g. 'busybox:latest'"
    res = spec.resources
    if not _finite(res):
        return f"{where}: resources must be finite numbers >= 0, got {res}"
    if res.cpus <= 0:
        return f"{where}: resources.cpus must be > 0 (every container gets a CPU limit)"
    if res.mem < MIN_TASK_MEM:
        return f"{where}: resources.mem must be at least {MIN_TASK_MEM:g} MiB, got {res.mem:g}"
    if spec.kill_grace_seconds < 0 or not math.isfinite(spec.kill_grace_seconds):
        return f"{where}: kill_grace_seconds must be >= 0"
    return _check_container(spec, where) or _check_health(spec, where)


def _check_container(spec: TaskSpec, where: str) -> str | None:
    if spec.working_dir and not spec.working_dir.startswith("/"):
        return f"{where}: container.working_dir must be an absolute path, got {spec.working_dir!r}"
    for key, _ in spec.labels:
        if key.startswith("offer."):
            return f"{where}: container.labels key {key!r} is reserved (offer.* labels)"
    if problem := stop_signal_problem(spec.stop_signal):
        return f"{where}: container.stop_signal: {problem}"
    for volume in spec.volumes:
        if not volume.host_path.startswith("/") or not volume.container_path.startswith("/"):
            return (
                f"{where}: container.volumes needs absolute host_path and container_path, "
                f"got {volume.host_path!r} -> {volume.container_path!r}"
            )
    for named in spec.named_volumes:
        if not is_volume_name(named.name):
            return (
                f"{where}: container.volumes volume_name {named.name!r} is malformed: use "
                f"{VOLUME_NAME_RULE}"
            )
        if not named.container_path.startswith("/"):
            return (
                f"{where}: container.volumes {named.name!r} needs an absolute container_path, "
                f"got {named.container_path!r}"
            )
    for anonymous in spec.anonymous_volumes:
        if not anonymous.container_path.startswith("/"):
            return (
                f"{where}: container.volumes: an anonymous volume (neither host_path nor "
                f"volume_name) needs an absolute container_path, got "
                f"{anonymous.container_path!r}"
            )
    targets = [v.container_path for v in spec.volumes]
    targets += [v.container_path for v in spec.named_volumes]
    targets += [v.container_path for v in spec.anonymous_volumes]
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        return f"{where}: container.volumes mounts {twice[0]!r} twice; mount one volume there"
    published: set[tuple[int, str]] = set()
    for mapping in spec.port_mappings:
        label = f"{where}: container.port_mappings {mapping.container_port}->{mapping.host_port}"
        if not (0 < mapping.container_port <= 65535 and 0 < mapping.host_port <= 65535):
            return f"{label}: ports must be within 1-65535"
        if mapping.protocol not in ("tcp", "udp"):
            return f"{label}: protocol must be 'tcp' or 'udp', got {mapping.protocol!r}"
        if not ranges.contains(spec.resources.ports, ((mapping.host_port, mapping.host_port),)):
            return (
                f"{label}: host port {mapping.host_port} is not in the task's resources.ports; "
                "take host ports from the offer's ports"
            )
        if (mapping.host_port, mapping.protocol) in published:
            return f"{label}: host port {mapping.host_port} is published twice"
        published.add((mapping.host_port, mapping.protocol))
    return None


def _check_health(spec: TaskSpec, where: str) -> str | None:
    check = spec.health_check
    if check is None:
        return None
    label = f"{where}: health_check"
    if check.kind not in ("command", "tcp", "http"):
        return f"{label} needs one of command, tcp or http"
    if check.kind == "command" and not check.command:
        return f"{label}.command.command is empty; give the argv to run in the container"
    if check.kind in ("tcp", "http") and spec.host_port(check.port) is None:
        return (
            f"{label}.{check.kind}.port {check.port} is not a container port of the task's "
            "port_mappings; checks reach the container through its published port"
        )
    numbers = [check.interval, check.timeout, check.grace_period]
    if not all(math.isfinite(n) for n in numbers) or check.interval <= 0 or check.timeout <= 0:
        return f"{label}: interval_seconds and timeout_seconds must be > 0"
    if check.grace_period < 0 or check.max_consecutive_failures < 1:
        return f"{label}: grace_period_seconds must be >= 0 and max_consecutive_failures >= 1"
    return None


def check_tasks(
    specs: Sequence[TaskSpec],
    offered: Resources,
    used: Callable[[str], bool] = lambda _: False,
    revocable: Resources | None = None,
) -> str | None:
    """Checks a whole launch: each task, id uniqueness, and the totals
    against the offered amounts: tasks marked revocable against the offers'
    `revocable` part (None: the framework may launch none), the others
    against `offered`. `used(task_id)` says whether the framework had that id
    (reported as `reused_task_id` would: callers that tell the two kinds of
    refusal apart call that first)."""
    if len(specs) > MAX_TASKS_PER_ACCEPT:
        return f"at most {MAX_TASKS_PER_ACCEPT} tasks per Accept, got {len(specs)}"
    seen: set[str] = set()
    for spec in specs:
        problem = check_task(spec)
        if problem:
            return problem
        if spec.task_id in seen:
            return f"task_id {spec.task_id!r} appears twice in this Accept"
        reused = reused_task_id([spec], used)
        if reused:
            return reused
        seen.add(spec.task_id)
    needed = sum((s.resources for s in specs if not s.revocable), Resources())
    if not offered.contains(needed):
        return (
            f"the tasks need more than the offers hold ({offered.shortfall(needed)}); "
            "launch fewer or smaller tasks"
        )
    return _check_revocable([s for s in specs if s.revocable], revocable)


def _check_revocable(specs: Sequence[TaskSpec], lent: Resources | None) -> str | None:
    if not specs:
        return None
    where = f"task {specs[0].task_id!r}"
    if lent is None:
        return (
            f"{where} is marked revocable, but the framework did not subscribe with "
            "FrameworkInfo.accepts_revocable; subscribe with it to be offered revocable "
            "resources, or launch the task unmarked on the offer's resources"
        )
    for spec in specs:
        if spec.resources.ports or spec.resources.disk:
            return (
                f"task {spec.task_id!r} is marked revocable but asks for disk or ports: "
                "revocable resources are cpus and mem only; launch it unmarked to have them"
            )
    needed = sum((s.resources for s in specs), Resources())
    if not lent.contains(needed):
        return (
            f"the revocable tasks need more than the offers' revocable part holds "
            f"({lent.shortfall(needed)}); launch fewer or smaller revocable tasks"
        )
    return None


def reused_task_id(specs: Sequence[TaskSpec], used: Callable[[str], bool]) -> str | None:
    """The first task id the framework used before (a task id is good for
    one task, ever), or None. Not a malformed request but a clash with what
    exists: the master answers ALREADY_EXISTS."""
    for spec in specs:
        if used(spec.task_id):
            return (
                f"task_id {spec.task_id!r} was already used by this framework; "
                "task ids must be unique (use name-<attempt> or a uuid)"
            )
    return None
