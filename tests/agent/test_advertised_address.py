"""An agent's advertised address, end to end: published ports bind to it and
nowhere else, health checks dial it, the master and offerctl tell it.

On Linux the whole of 127.0.0.0/8 is this host's, so an agent started with
`--advertise-address 127.0.0.2` has a real second address on one machine:
what binds there does not answer on 127.0.0.1."""

from __future__ import annotations

import json

from offer.tasks import HealthCheck, TaskState
from tests.agent.test_health import web
from tests.support.cluster import Cluster, free_ports, http_get
from tests.support.framework import framework

SECOND = "127.0.0.2"
FAST = {"interval": 0.3, "timeout": 1.0, "max_consecutive_failures": 2}


async def test_ports_bind_and_health_checks_dial_the_advertised_address(
    cluster: Cluster,
) -> None:
    cluster.start_master()
    agent = cluster.start_agent(f"cpus:2;mem:1024;{free_ports(3)}", "--advertise-address", SECOND)
    async with framework(cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        assert (offer.hostname, offer.address) == ("host0", SECOND)
        p1, p2, p3 = [b for b, _ in offer.resources.ports]
        await driver.accept(
            [offer.offer_id],
            [
                web("plain", p1),
                web("http", p2, HealthCheck("http", port=8080, path="/index.html", **FAST)),
                web("tcp", p3, HealthCheck("tcp", port=8080, **FAST)),
            ],
        )
        await rec.until_state("plain", TaskState.RUNNING)
        healthy = {}
        for task_id in ("http", "tcp"):
            await rec.until(
                lambda t=task_id: any(u.task_id == t and u.healthy for u in rec.updates)
            )
            [healthy[task_id]] = [u for u in rec.updates if u.task_id == task_id and u.healthy]

    # Published on the advertised address only.
    assert (http_get(f"http://{SECOND}:{p1}/index.html") or "").strip() == "ok"
    assert http_get(f"http://127.0.0.1:{p1}/index.html", timeout=1) is None
    [plain] = [c for c in cluster.containers(agent) if c["Labels"]["offer.task_id"] == "plain"]
    bindings = cluster.inspect(plain["Id"])["HostConfig"]["PortBindings"]
    assert bindings == {"8080/tcp": [{"HostIp": SECOND, "HostPort": str(p1)}]}
    # The checks went through it, and say so.
    assert healthy["http"].message == (
        f"healthy: HTTP GET /index.html on {SECOND}:{p2} answered 200"
    )
    assert healthy["tcp"].message == f"healthy: TCP {SECOND}:{p3} accepts connections"

    # The operator sees the address next to the hostname, in tables and JSON.
    [info] = cluster.list("agents")
    assert (info.hostname, info.address) == ("host0", SECOND)
    table = cluster.offerctl("agents").stdout.splitlines()
    assert table[0].split()[:4] == ["ID", "HOSTNAME", "ADDRESS", "STATUS"]
    assert table[1].split()[1:3] == ["host0", SECOND]
    [shown] = cluster.offerctl_json("agents")
    assert (shown["hostname"], shown["address"]) == ("host0", SECOND)
    show = cluster.offerctl("agents", "show", "host0").stdout
    assert any(line.split() == ["Address:", SECOND] for line in show.splitlines()), show
    assert cluster.offerctl_json("agents", "show", "host0")["address"] == SECOND

    tasks = {t["task_id"]: t for t in cluster.offerctl_json("tasks")}
    assert {t["address"] for t in tasks.values()} == {SECOND}
    wide = cluster.offerctl("tasks", "-o", "wide", "--sort-by", "id").stdout.splitlines()
    assert wide[0].split()[:5] == ["ID", "NAME", "FRAMEWORK", "AGENT", "ADDRESS"]
    rows = [line.split() for line in wide if line.split()[:1] in (["http"], ["plain"], ["tcp"])]
    assert [(row[0], row[4]) for row in rows] == [(t, SECOND) for t in ("http", "plain", "tcp")]
    assert "ADDRESS" not in cluster.offerctl("tasks").stdout.splitlines()[0]
    assert cluster.offerctl_json("tasks", "show", "plain")["address"] == SECOND
    task_show = cluster.offerctl("tasks", "show", "plain").stdout.splitlines()
    assert any(line.split() == ["Address:", SECOND] for line in task_show), task_show


async def test_offers_carry_the_address_to_offerctl(cluster: Cluster) -> None:
    """A framework that holds an offer: offerctl's offers views show the
    agent's address next to its hostname."""
    cluster.start_master()
    cluster.start_agent("cpus:1;mem:512", "--advertise-address", SECOND)
    async with framework(cluster.address) as (_, rec):
        offer = await rec.next_offer()
        [shown] = cluster.offerctl_json("offers")
        assert (shown["hostname"], shown["address"]) == ("host0", SECOND)
        table = cluster.offerctl("offers").stdout.splitlines()
        assert table[0].split()[3:5] == ["HOSTNAME", "ADDRESS"]
        assert table[1].split()[3:5] == ["host0", SECOND]
        show = cluster.offerctl("offers", "show", offer.offer_id).stdout
        assert any(line.split() == ["Address:", SECOND] for line in show.splitlines()), show


def test_with_the_master_on_loopback_the_default_is_loopback(cluster: Cluster) -> None:
    """No flag, no TCP engine: the route to a master on 127.0.0.1 leaves from
    127.0.0.1, so a cluster on one machine works as it always did."""
    cluster.start_master()
    agent = cluster.start_agent("cpus:1;mem:512")
    [info] = cluster.list("agents")
    assert info.address == "127.0.0.1"
    assert "tasks reached at 127.0.0.1" in agent.log()
    assert json.loads(cluster.offerctl("agents", "-o", "json").stdout)[0]["address"] == (
        "127.0.0.1"
    )


def test_re_registering_from_another_address_moves_the_agent(cluster: Cluster) -> None:
    """The address is taken anew on every registration, and kept by the master."""
    cluster.start_master()
    agent = cluster.start_agent("cpus:1;mem:512", "--advertise-address", SECOND)
    agent.args[agent.args.index(SECOND)] = "127.0.0.3"
    cluster.restart_agent(agent)
    [info] = cluster.list("agents")
    assert info.address == "127.0.0.3"
    cluster.restart_master()
    [info] = cluster.list("agents")
    assert info.address == "127.0.0.3"
