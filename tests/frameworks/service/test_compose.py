"""Docker Compose files as apps: translation, dependencies and link variables."""

from __future__ import annotations

import itertools

import pytest

from frameworks.sdk import Offer, Resources
from frameworks.service.documents import parse_apps
from frameworks.service.planner import AppView, InstanceView, plan
from frameworks.service.spec import SpecError, check_dependencies
from offer.tasks import TaskState

EXAMPLE = """
db:
  image: redis
  ports:
    - "6379"
web:
  image: example/webapp
  command: nodejs server.js
  ports:
    - "3000:3000"
  links:
    - db
"""


def test_the_compose_example_becomes_two_apps() -> None:
    db, web = parse_apps(EXAMPLE)
    assert (db.id, db.image, db.ports, db.instances) == ("db", "redis", [6379], 1)
    assert (web.id, web.cmd, web.ports, web.links) == (
        "web",
        ["nodejs", "server.js"],
        [3000],
        ["db"],
    )
    assert web.dependencies() == ["db"]


def test_v3_services_replicas_environment_and_refusals() -> None:
    [api] = parse_apps("""
services:
  api:
    image: img
    environment: [MODE=prod, EMPTY=]
    deploy: {replicas: 3}
    restart: always
""")
    assert (api.instances, api.env) == (3, {"MODE": "prod", "EMPTY": ""})
    with pytest.raises(SpecError, match=r"services.api.build: not supported: build the image"):
        parse_apps("services:\n  api:\n    build: .\n")
    with pytest.raises(SpecError, match=r"services.api.volumes\[0\]: '/a:/b:z': mode 'z'"):
        parse_apps("services:\n  api:\n    image: img\n    volumes: ['/a:/b:z']\n")


def test_circular_dependencies_are_refused() -> None:
    apps = {
        a.id: a
        for a in parse_apps("""
a: {image: img, depends_on: [b]}
b: {image: img, links: ["c:see"]}
c: {image: img, depends_on: [a]}
""")
    }
    with pytest.raises(SpecError, match=r"is circular: a -> b -> c -> a"):
        check_dependencies(apps)
    with pytest.raises(SpecError, match=r"names 'nope', which is not deployed"):
        check_dependencies({a.id: a for a in parse_apps("x: {image: img, depends_on: [nope]}")})


def test_a_linked_app_waits_for_its_dependency_then_gets_link_variables() -> None:
    db, web = parse_apps(EXAMPLE)
    offers = [Offer("o1", "a1", "host1", Resources(4, 4096, ports=((31000, 31009),)))]
    ids = itertools.count(1)

    def new_id(app: str) -> str:
        return f"{app}.{next(ids)}"

    waiting = plan([AppView(db, "v", []), AppView(web, "v", [])], offers, 0.0, new_id)
    assert waiting.waiting["web"] == "waiting for dependencies to be ready: db"
    db_ready = InstanceView(
        "db.1", "db", "v", TaskState.RUNNING, "host1", {}, None, 1.0, (31005,), "10.0.0.5"
    )
    ready = plan([AppView(db, "v", [db_ready]), AppView(web, "v", [])], offers, 0.0, new_id)
    [(_, [(_, task)])] = ready.launches.values()
    env = dict(task.env)
    assert env["DB_PORT"] == "tcp://10.0.0.5:31005"
    assert env["DB_PORT_6379_TCP_ADDR"] == "10.0.0.5"
    assert env["DB_PORT_6379_TCP_PORT"] == "31005"
    assert env["DB_PORT_6379_TCP_PROTO"] == "tcp"


def _link_env(db_address: str, db_hostname: str = "host1") -> dict[str, str]:
    db, web = parse_apps(EXAMPLE)
    offers = [Offer("o1", "a1", "host2", Resources(4, 4096, ports=((31000, 31009),)))]
    db_ready = InstanceView(
        "db.1", "db", "v", TaskState.RUNNING, db_hostname, {}, None, 1.0, (31005,), db_address
    )
    ready = plan([AppView(db, "v", [db_ready]), AppView(web, "v", [])], offers, 0.0, str)
    [(_, [(_, task)])] = ready.launches.values()
    return {k: v for k, v in task.env if k.startswith("DB_PORT")}


def test_links_carry_an_ipv6_address_in_brackets_in_urls_only() -> None:
    env = _link_env("fd00::5")
    assert env["DB_PORT"] == env["DB_PORT_6379_TCP"] == "tcp://[fd00::5]:31005"
    assert env["DB_PORT_6379_TCP_ADDR"] == "fd00::5"


def test_an_instance_placed_before_addresses_is_linked_by_its_hostname() -> None:
    """Instances stored before agents advertised addresses have none: their
    hostname is all there is, as before."""
    env = _link_env("", db_hostname="host1")
    assert env["DB_PORT"] == "tcp://host1:31005"
    assert env["DB_PORT_6379_TCP_ADDR"] == "host1"
