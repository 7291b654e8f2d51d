"""App specs: what `offerctl app deploy` sends, read from YAML and checked
field by field. Pure: no I/O."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

from frameworks.checks import SpecError, container_problem, dependency_problem, is_number
from frameworks.sdk import Constraint, HealthCheck, Resources, TaskSpec, make_task

_CHECK_KINDS = ("command", "tcp", "http")


@dataclass(frozen=True)
class AppSpec:
    id: str
    image: str
    cmd: str | list[str] = ""
    cpus: float = 0.1
    mem: float = 64.0
    instances: int = 1
    env: dict[str, str] = field(default_factory=dict)
    # Container ports; each instance gets host ports from its offer.
    ports: list[int] = field(default_factory=list)
    health_check: dict[str, Any] | None = None
    # [field, operator, value?] triples, as Marathon.
    constraints: list[list[str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    # Crash-loop backoff: delay = backoff_seconds * backoff_factor ** (failures - 1),
    # at most max_launch_delay_seconds.
    backoff_seconds: float = 1.0
    backoff_factor: float = 1.15
    max_launch_delay_seconds: float = 300.0
    kill_grace_seconds: float = 3.0
    # Rolling updates, as Marathon: at least this fraction of `instances`
    # stays ready, and at most this fraction more may run, while a new
    # version replaces the old.
    minimum_health_capacity: float = 1.0
    maximum_over_capacity: float = 1.0
    # Apps that must have a ready instance before this one launches.
    depends_on: list[str] = field(default_factory=list)
    # "app" or "app:alias": a dependency whose host and ports are passed in
    # Docker's link variables (ALIAS_PORT_6379_TCP_ADDR, ..._PORT, ...).
    links: list[str] = field(default_factory=list)

    def dependencies(self) -> list[str]:
        return sorted({*self.depends_on, *(link.split(":")[0] for link in self.links)})

    @property
    def version(self) -> str:
        """Changes whenever anything but `instances` changes."""
        body = {k: v for k, v in asdict(self).items() if k != "instances"}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]

    def resources(self) -> Resources:
        return Resources(self.cpus, self.mem)

    def parsed_constraints(self) -> list[Constraint]:
        return [Constraint(c[0], c[1], c[2] if len(c) > 2 else "") for c in self.constraints]

    def check(self) -> HealthCheck | None:
        hc = self.health_check
        if hc is None:
            return None
        return HealthCheck(
            kind=str(hc.get("protocol", "")).lower(),
            command=tuple(hc.get("command", ()))
            if isinstance(hc.get("command"), list)
            else (("sh", "-c", hc["command"]) if hc.get("command") else ()),
            port=int(hc.get("port", 0)),
            path=str(hc.get("path", "/")),
            interval=float(hc.get("interval_seconds", 10)),
            timeout=float(hc.get("timeout_seconds", 5)),
            grace_period=float(hc.get("grace_period_seconds", 0)),
            max_consecutive_failures=int(hc.get("max_consecutive_failures", 3)),
            kill_when_unhealthy=True,  # as Marathon: an unhealthy instance is replaced
        )

    def task(self, task_id: str) -> TaskSpec:
        """A task for one instance (host ports still to be assigned by pack())."""
        return make_task(
            task_id,
            self.image,
            self.cmd,
            cpus=self.cpus,
            mem=self.mem,
            env=self.env,
            ports=self.ports,
            health_check=self.check(),
            labels={**self.labels, "app": self.id},
            name=self.id,
            kill_grace_seconds=self.kill_grace_seconds,
        )

    def to_yaml(self) -> str:
        return str(yaml.safe_dump(asdict(self), sort_keys=False))


_FIELDS = {f for f in AppSpec.__dataclass_fields__}


def check_dependencies(apps: dict[str, AppSpec]) -> None:
    """Every dependency exists, and none is circular. Raises SpecError."""
    graph = {app_id: app.dependencies() for app_id, app in apps.items()}
    problem = dependency_problem(graph, "app", "'depends_on'/'links'", "deployed")
    if problem:
        raise SpecError(problem)


def parse_app(raw: object, index: int = 0) -> AppSpec:
    if not isinstance(raw, dict):
        raise SpecError(f"app #{index + 1} must be a mapping of fields, got {type(raw).__name__}")
    where = f"app {raw.get('id', f'#{index + 1}')!r}"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise SpecError(
            f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(_FIELDS))})"
        )
    for required in ("id", "image"):
        if not raw.get(required):
            raise SpecError(f"{where}: field {required!r} is required")
    try:
        spec = AppSpec(**raw)
    except TypeError as err:
        raise SpecError(f"{where}: {err}") from None
    problem = _problem(spec)
    if problem:
        raise SpecError(f"{where}: {problem}")
    return spec


def _problem(s: AppSpec) -> str | None:
    problem = container_problem("id", s.id, s.image, s.cmd, s.cpus, s.mem, s.env)
    if problem:
        return problem
    if not isinstance(s.instances, int) or isinstance(s.instances, bool) or s.instances < 0:
        return f"field 'instances' must be a whole number >= 0, got {s.instances!r}"
    if not isinstance(s.ports, list) or not all(
        isinstance(p, int) and 0 < p <= 65535 for p in s.ports
    ):
        return f"field 'ports' must be a list of container ports 1-65535, got {s.ports!r}"
    for c in s.constraints:
        if not isinstance(c, list) or not 2 <= len(c) <= 3:
            return (
                f"field 'constraints': {c!r} is not [field, operator] or [field, operator, value]"
            )
        bad = Constraint(*[str(x) for x in c]).problem()
        if bad:
            return f"field 'constraints': {bad}"
    for name in ("depends_on", "links"):
        value = getattr(s, name)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return f"field {name!r} must be a list of app ids"
    for name in ("minimum_health_capacity", "maximum_over_capacity"):
        value = getattr(s, name)
        if not is_number(value) or not 0 <= value <= 1:
            return f"field {name!r} must be a fraction from 0 to 1, got {value!r}"
    for name in ("backoff_seconds", "backoff_factor", "max_launch_delay_seconds"):
        if not is_number(getattr(s, name)) or getattr(s, name) < (
            1 if name == "backoff_factor" else 0
        ):
            return f"field {name!r} must be a number >= {1 if name == 'backoff_factor' else 0}"
    return _health_problem(s)


def _health_problem(s: AppSpec) -> str | None:
    hc = s.health_check
    if hc is None:
        return None
    if not isinstance(hc, dict):
        return "field 'health_check' must be a mapping"
    protocol = str(hc.get("protocol", "")).lower()
    if protocol not in _CHECK_KINDS:
        return f"field 'health_check.protocol' must be one of {', '.join(_CHECK_KINDS)}"
    if protocol in ("tcp", "http") and hc.get("port") not in s.ports:
        return (
            f"field 'health_check.port' must be one of the app's ports {s.ports}, "
            f"got {hc.get('port')!r}"
        )
    if protocol == "command" and not hc.get("command"):
        return "field 'health_check.command' is required for protocol command"
    return None


def largest_fit_problem(spec: AppSpec, largest: Resources | None) -> str | None:
    """Why an instance cannot fit in the largest offer seen, if it cannot."""
    if largest is None or largest.contains(spec.resources()):
        return None
    return f"needs {largest.shortfall(spec.resources())} in the largest offer seen"
