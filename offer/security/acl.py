"""Authorization: which principal may register frameworks in which roles,
register agents, call operator actions, and which roles may run containers
that reach into their host. Read from a YAML (or JSON) file; pure checks.

Without a file every principal may register and operate (as Mesos without
ACLs), but containers stay confined: privileged mode, the host's network
or PID namespace and host mounts always need a rule that allows them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from offer.security.files import read_file
from offer.tasks import TaskSpec

OPERATOR_ACTIONS = ("drain", "reactivate", "remove", "teardown", "quota", "reserve")
CONTAINER_GRANTS = ("privileged", "host_network", "host_pid", "host_mounts")
ANY = "*"


class AclError(ValueError):
    """An ACL file that cannot be used; the message names the entry."""


@dataclass(frozen=True)
class Rule:
    principals: frozenset[str]
    # Roles for framework rules; actions for operator rules; grants for containers.
    what: frozenset[str]

    def matches(self, principal: str, item: str) -> bool:
        return (ANY in self.principals or principal in self.principals) and (
            ANY in self.what or item in self.what
        )


@dataclass(frozen=True)
class Acls:
    # False: no file was given (see the module's docstring).
    configured: bool = False
    register_frameworks: Sequence[Rule] = ()
    register_agents: Sequence[Rule] = ()
    operator: Sequence[Rule] = ()
    # Here `principals` holds roles: grants are per role.
    containers: Sequence[Rule] = field(default_factory=tuple)

    def framework_problem(self, principal: str, role: str) -> str | None:
        if not self.configured or any(r.matches(principal, role) for r in self.register_frameworks):
            return None
        return (
            f"principal {principal or '(none)'!r} may not register a framework in role "
            f"{role!r}; an ACL 'register_frameworks' entry must allow it"
        )

    def agent_problem(self, principal: str) -> str | None:
        if not self.configured or any(r.matches(principal, ANY) for r in self.register_agents):
            return None
        return (
            f"principal {principal or '(none)'!r} may not register agents; an ACL "
            "'register_agents' entry must allow it"
        )

    def operator_problem(self, principal: str, action: str) -> str | None:
        if not self.configured or any(r.matches(principal, action) for r in self.operator):
            return None
        return (
            f"principal {principal or '(none)'!r} may not {action}; an ACL 'operator' entry "
            f"must allow the action {action!r}"
        )

    def container_problem(self, role: str, spec: TaskSpec) -> str | None:
        """Why a task of a framework in `role` may not run as asked, or None."""
        wanted = []
        if spec.privileged:
            wanted.append(("privileged", "container.privileged"))
        if spec.network == "host":
            wanted.append(("host_network", "container.network 'host'"))
        if spec.pid == "host":
            wanted.append(("host_pid", "container.pid 'host'"))
        if spec.volumes:
            wanted.append(("host_mounts", "container.volumes (host mounts)"))
        for grant, what in wanted:
            if not any(r.matches(role, grant) for r in self.containers):
                return (
                    f"task {spec.task_id!r}: {what} is not allowed for role {role!r}; an ACL "
                    f"'containers' entry must grant {grant!r} to the role"
                )
        return None

    @classmethod
    def parse(cls, text: str, where: str = "ACL file") -> Acls:
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            raise AclError(f"{where}: not valid YAML or JSON: {err}") from None
        if not isinstance(doc, dict):
            raise AclError(f"{where}: expected a mapping of sections")
        sections = {
            "register_frameworks": ("principals", "roles", None),
            "register_agents": ("principals", None, None),
            "operator": ("principals", "actions", OPERATOR_ACTIONS),
            "containers": ("roles", "allow", CONTAINER_GRANTS),
        }
        unknown = sorted(set(doc) - set(sections))
        if unknown:
            raise AclError(
                f"{where}: unknown section {unknown[0]!r} (known: {', '.join(sections)})"
            )
        parsed = {
            name: tuple(_rules(doc.get(name) or [], name, who, what, allowed, where))
            for name, (who, what, allowed) in sections.items()
        }
        return cls(configured=True, **parsed)

    @classmethod
    def load(cls, path: str) -> Acls:
        return cls.parse(read_file(path, "ACL file", AclError).decode(), path)


def _rules(
    entries: object,
    section: str,
    who: str,
    what: str | None,
    allowed: Sequence[str] | None,
    where: str,
) -> list[Rule]:
    if not isinstance(entries, list):
        raise AclError(f"{where}: {section!r} must be a list of entries")
    rules = []
    for number, entry in enumerate(entries, 1):
        label = f"{where}: {section} entry {number}"
        if not isinstance(entry, dict):
            raise AclError(f"{label} must be a mapping")
        keys = {who} | ({what} if what else set())
        extra = sorted(set(entry) - keys)
        if extra:
            raise AclError(f"{label}: unknown key {extra[0]!r} (known: {', '.join(sorted(keys))})")
        names = _names(entry.get(who), f"{label}: {who!r}")
        items = _names(entry.get(what), f"{label}: {what!r}") if what else frozenset({ANY})
        if allowed is not None:
            bad = sorted(items - {*allowed, ANY})
            if bad:
                raise AclError(f"{label}: {bad[0]!r} is not one of {', '.join(allowed)}")
        rules.append(Rule(names, items))
    return rules


def _names(value: object, label: str) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise AclError(f"{label} must be a non-empty list of names ('*': any)")
    return frozenset(value)
