from __future__ import annotations

from dataclasses import replace

import pytest

from master.validation import check_agent, check_role, check_tasks
from offer.resources import Resources
from offer.tasks import HealthCheck, NamedVolume, PortMapping, TaskSpec, Volume

OFFER = Resources(2, 1024, ports=((31000, 31009),))


def spec(task_id: str = "t1", cpus: float = 1, mem: float = 64, image: str = "img") -> TaskSpec:
    return TaskSpec(task_id, task_id, Resources(cpus, mem), image)


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([spec(cpus=0)], "resources.cpus must be > 0"),
        ([spec(mem=4)], "resources.mem must be at least 6 MiB"),
        ([spec(cpus=float("nan"))], "must be finite numbers"),
        ([spec(image=" ")], "container.image is empty"),
        ([spec(task_id="bad id!")], "task_id 'bad id!' is malformed"),
        ([spec(task_id="..")], "task_id '..' is malformed: use 1 to 128 letters, digits"),
        ([spec(task_id=".x")], "not starting with a dot"),
        ([spec(), spec()], "appears twice"),
        ([spec("a", cpus=1.5), spec("b", cpus=1)], "cpus 2.5 > 2"),
    ],
)
def test_bad_launches_are_named(specs: list[TaskSpec], message: str) -> None:
    problem = check_tasks(specs, OFFER, used=lambda _: False)
    assert problem is not None and message in problem


def test_good_launch_and_used_ids() -> None:
    assert check_tasks([spec("a"), spec("b")], OFFER, used=lambda _: False) is None
    problem = check_tasks([spec("a")], OFFER, used=lambda tid: tid == "a")
    assert problem is not None and "already used" in problem


def test_roles() -> None:
    assert check_role("*") is None
    assert check_role("prod.web") is None
    assert "malformed" in (check_role("-x") or "")
    assert "malformed" in (check_role("a b") or "")


WEB = TaskSpec(
    "web",
    "web",
    Resources(1, 64, ports=((31000, 31000),)),
    "img",
    port_mappings=(PortMapping(80, 31000),),
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"port_mappings": (PortMapping(80, 31001),)}, "host port 31001 is not in the task's"),
        ({"port_mappings": (PortMapping(80, 31000, "sctp"),)}, "protocol must be 'tcp' or 'udp'"),
        ({"port_mappings": (PortMapping(0, 31000),)}, "ports must be within 1-65535"),
        ({"volumes": (Volume("data", "/data"),)}, "needs absolute host_path"),
        ({"named_volumes": (NamedVolume("../x", "/data"),)}, "volume_name '../x' is malformed"),
        ({"named_volumes": (NamedVolume("db", "data"),)}, "needs an absolute container_path"),
        (
            {"volumes": (Volume("/srv", "/data"),), "named_volumes": (NamedVolume("db", "/data"),)},
            "mounts '/data' twice",
        ),
        ({"working_dir": "app"}, "working_dir must be an absolute path"),
        ({"labels": (("offer.task_id", "x"),)}, "is reserved"),
        ({"health_check": HealthCheck("http", port=8080)}, "health_check.http.port 8080 is not"),
        ({"health_check": HealthCheck("command")}, "health_check.command.command is empty"),
        ({"health_check": HealthCheck("tcp", port=80, interval=0)}, "interval_seconds"),
        ({"health_check": HealthCheck("")}, "needs one of command, tcp or http"),
    ],
)
def test_bad_container_fields_are_named(change: dict[str, object], message: str) -> None:
    problem = check_tasks([replace(WEB, **change)], OFFER, used=lambda _: False)
    assert problem is not None and message in problem


def test_ports_must_come_from_the_offer() -> None:
    assert check_tasks([WEB], OFFER, used=lambda _: False) is None
    outside = replace(
        WEB,
        resources=Resources(1, 64, ports=((40000, 40000),)),
        port_mappings=(PortMapping(80, 40000),),
    )
    problem = check_tasks([outside], OFFER, used=lambda _: False)
    assert problem is not None and "ports 40000 not offered" in problem


AGENT_TOTAL = Resources(2, 1024)


@pytest.mark.parametrize("address", ["", "10.0.0.5", "127.0.0.2", "::1", "2001:db8::7"])
def test_agent_addresses_that_register(address: str) -> None:
    """An IP literal, or nothing from an agent older than addresses."""
    assert check_agent("", AGENT_TOTAL, address) is None


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("host1", "agent address 'host1' is not an IP address"),
        ("10.0.0.5:31000", "is not an IP address"),
        ("[::1]", "is not an IP address"),
        ("10.0.0.256", "is not an IP address"),
        ("0.0.0.0", "not one other hosts can reach"),
        ("::", "not one other hosts can reach"),
        ("224.0.0.1", "not one other hosts can reach"),
        ("fe80::1%eth0", "not one other hosts can reach"),
    ],
)
def test_agent_addresses_refused_say_what_to_advertise(address: str, message: str) -> None:
    problem = check_agent("", AGENT_TOTAL, address)
    assert problem is not None and message in problem
    assert "--advertise-address" in problem and "10.0.0.5" in problem
