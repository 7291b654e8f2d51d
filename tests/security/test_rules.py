"""The pure parts of security: credentials, ACLs, rate limits."""

from __future__ import annotations

import pytest

from offer.resources import Resources
from offer.security.acl import AclError, Acls
from offer.security.credentials import Credentials, CredentialsError
from offer.security.ratelimit import RateLimiter
from offer.tasks import TaskSpec, Volume


def test_credentials_in_mesos_json_and_in_lines() -> None:
    mesos = Credentials.parse('{"credentials": [{"principal": "web", "secret": "s3"}]}')
    lines = Credentials.parse("# who\nweb s3\nbatch s4\n")
    for creds in (mesos, lines):
        assert creds.check("web", "s3")
        assert not creds.check("web", "s4") and not creds.check("nobody", "s3")
    assert "s3" not in repr(lines)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("web", "line 1: expected 'principal secret'"),
        ('{"credentials": [{"principal": "web"}]}', "expected"),
        ("", "no credentials"),
    ],
)
def test_bad_credentials_files_say_why(text: str, says: str) -> None:
    with pytest.raises(CredentialsError, match=says):
        Credentials.parse(text)


ACLS = """
register_frameworks:
  - principals: [web]
    roles: [web]
  - principals: [batch]
    roles: ["*"]
register_agents:
  - principals: [agent]
operator:
  - principals: [admin]
    actions: [drain]
containers:
  - roles: [infra]
    allow: [privileged, host_mounts]
"""


def task(**fields: object) -> TaskSpec:
    return TaskSpec("t1", "t1", Resources(0.1, 32), "img", **fields)  # type: ignore[arg-type]


def test_acls_allow_only_what_they_grant() -> None:
    acls = Acls.parse(ACLS)
    assert acls.framework_problem("web", "web") is None
    assert "may not register a framework in role 'prod'" in str(
        acls.framework_problem("web", "prod")
    )
    assert acls.framework_problem("batch", "prod") is None  # '*': any role
    assert acls.framework_problem("agent", "*") is not None
    assert acls.agent_problem("agent") is None and acls.agent_problem("web") is not None
    assert acls.operator_problem("admin", "drain") is None
    assert "may not teardown" in str(acls.operator_problem("admin", "teardown"))
    assert acls.container_problem("infra", task(privileged=True)) is None
    mount = task(volumes=(Volume("/etc", "/host-etc"),))
    assert acls.container_problem("infra", mount) is None
    assert "grant 'host_mounts'" in str(acls.container_problem("web", mount))
    assert "grant 'host_network'" in str(acls.container_problem("infra", task(network="host")))


def test_without_a_file_principals_may_register_but_containers_stay_confined() -> None:
    open_acls = Acls()
    assert open_acls.framework_problem("", "*") is None
    assert open_acls.operator_problem("", "teardown") is None
    assert open_acls.container_problem("*", task()) is None
    for risky in (task(privileged=True), task(pid="host"), task(network="host")):
        assert open_acls.container_problem("*", risky) is not None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("frameworks: []", "unknown section 'frameworks'"),
        ("operator: [{principals: [a], actions: [reboot]}]", "'reboot' is not one of"),
        ("containers: [{roles: [a], allow: [root]}]", "'root' is not one of"),
        ("register_agents: [{principals: []}]", "non-empty list"),
        ("register_agents: [{principals: [a], roles: [b]}]", "unknown key 'roles'"),
    ],
)
def test_bad_acl_files_name_the_entry(text: str, says: str) -> None:
    with pytest.raises(AclError, match=says):
        Acls.parse(text)


def test_a_flood_waits_longer_and_longer_while_others_go_at_once() -> None:
    limiter = RateLimiter(rate=10, burst=2)
    waits = [limiter.delay("flood", now=0.0) for _ in range(5)]
    assert waits == [0.0, 0.0, pytest.approx(0.1), pytest.approx(0.2), pytest.approx(0.3)]
    assert limiter.delay("quiet", now=0.0) == 0.0
    assert limiter.delay("flood", now=10.0) == 0.0  # refilled


def test_message_bounds_name_the_field() -> None:
    from offer.security.limits import MAX_ITEMS, message_problem
    from offer.v1 import agent_pb2, common_pb2, scheduler_pb2

    ok = scheduler_pb2.DeclineRequest(framework_id="fw-1", offer_ids=["o-1"])
    assert message_problem(ok) is None
    flood = scheduler_pb2.DeclineRequest(offer_ids=["o"] * (MAX_ITEMS + 1))
    assert "offer_ids: at most" in str(message_problem(flood))
    bad_id = scheduler_pb2.KillRequest(framework_id="fw 1")
    assert "framework_id: 'fw 1' is not an id" in str(message_problem(bad_id))
    nan = scheduler_pb2.DeclineRequest(filters=common_pb2.Filters(refuse_seconds=float("nan")))
    assert "filters.refuse_seconds: must be a finite number" in str(message_problem(nan))
    task = common_pb2.TaskInfo(task_id="t")
    task.container.env["X"] = "y" * 70_000
    accept = scheduler_pb2.AcceptRequest()
    accept.operations.add().launch.tasks.append(task)
    assert "operations[0].launch.tasks[0].container.env['X']: at most" in str(
        message_problem(accept)
    )
    register = agent_pb2.AgentMessage()
    register.register.hostname = "h" * 300
    assert "register.hostname: at most 255" in str(message_problem(register))
