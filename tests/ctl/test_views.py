"""offerctl status, agents, frameworks, tasks and offers against a real
cluster whose numbers are known: every output format, filter and sort."""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import yaml

from offer.tasks import TaskState
from tests.support.cluster import Cluster, wait_for
from tests.support.framework import framework, task

FORMATS = ("table", "wide", "json", "yaml")


def ctl(cluster: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    done = cluster.offerctl(*args)
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stdout, "colour on a pipe"
    return done


def data(cluster: Cluster, *args: str, output: str = "json") -> Any:
    out = ctl(cluster, *args, "-o", output).stdout
    return json.loads(out) if output == "json" else yaml.safe_load(out)


def steady(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without the usage the agents keep measuring between two calls."""
    return [{k: v for k, v in r.items() if k != "usage"} for r in rows]


def ids(rows: list[dict[str, Any]], field: str) -> list[str]:
    return [r[field] for r in rows]


async def test_a_known_cluster_in_every_view(cluster: Cluster) -> None:
    cluster.start_master("--offer-timeout", "600")
    busy = cluster.start_agent("cpus:2;mem:1024", "--usage-interval", "0.5")
    drained = cluster.start_agent("cpus:1;mem:512", "--usage-interval", "0.5")
    ctl(cluster, "agent", "drain", drained.agent_id, "--deadline", "3600")
    async with framework(cluster.address, name="gone", role="batch") as (_, gone):
        pass
    async with framework(cluster.address, name="main", role="prod") as (driver, rec):
        await rec.launch(
            driver,
            task("sleeper", "sleep 300", cpus=0.5, mem=64),
            task("done", "exit 0"),
            task("broken", "exit 3"),
        )
        await rec.until_state("sleeper", TaskState.RUNNING)
        await rec.until_terminal("done")
        await rec.until_terminal("broken")
        # Once the finished tasks' resources are offered again, every free
        # resource of the busy agent sits in offers the framework holds.
        status = await asyncio.to_thread(
            wait_for,
            lambda: (
                (s := data(cluster, "status"))["resources"]["offered"]["cpus"] == 1.5
                and s["resources"]["used"] is not None
                and s
            ),
            30,
            "the free resources to be offered and usage reported",
        )
        check = {"busy": busy.agent_id, "drained": drained.agent_id}
        await asyncio.to_thread(_status, cluster, status)
        await asyncio.to_thread(_agents, cluster, check)
        await asyncio.to_thread(_frameworks, cluster, rec.framework_id, gone.framework_id)
        await asyncio.to_thread(_tasks, cluster, rec.framework_id, check)
        await asyncio.to_thread(_offers, cluster, rec.framework_id, busy.agent_id)
        await asyncio.to_thread(_watch, cluster)


def _status(cluster: Cluster, status: dict[str, Any]) -> None:
    assert status["master"]["address"] == cluster.address
    assert status["master"]["version"]
    assert status["master"]["uptime_seconds"] >= 0
    assert status["agents"] == {
        "active": 1,
        "draining": 1,
        "engine_unavailable": 0,
        "disconnected": 0,
        "lost": 0,
        "total": 2,
    }
    assert status["frameworks"] == {"active": 1, "disconnected": 1, "removed": 0, "total": 2}
    nonzero = {k: v for k, v in status["tasks"].items() if v}
    assert nonzero == {"RUNNING": 1, "FINISHED": 1, "FAILED": 1, "total": 3}
    res = status["resources"]
    assert res["total"] == {"cpus": 3.0, "mem": 1536.0, "disk": 0.0}
    assert res["allocated"] == {"cpus": 0.5, "mem": 64.0, "disk": 0.0}
    assert res["offered"] == {"cpus": 1.5, "mem": 960.0, "disk": 0.0}
    assert res["idle"] == {"cpus": 1.0, "mem": 512.0, "disk": 0.0}
    assert res["used"]["cpus_used"] >= 0 and res["used"]["mem_used"] > 0
    assert data(cluster, "status", output="yaml")["agents"] == status["agents"]
    table = ctl(cluster, "status").stdout
    assert f"Master      {cluster.address}, version " in table
    assert "1 active, 1 draining" in table
    assert "1 active, 1 disconnected" in table
    assert "1 RUNNING, 1 FINISHED, 1 FAILED" in table
    [idle] = [line.split() for line in table.splitlines() if line.startswith("idle")]
    assert idle == ["idle", "1", "512", "0"]


def _agents(cluster: Cluster, agent: dict[str, str]) -> None:
    listed = data(cluster, "agents")
    assert ids(listed, "agent_id") == [agent["busy"], agent["drained"]]
    assert steady(data(cluster, "agents", output="yaml")) == steady(listed)
    assert ids(data(cluster, "agents", "--state", "draining"), "agent_id") == [agent["drained"]]
    biggest = data(cluster, "agents", "--sort-by", "total", "--reverse")
    assert ids(biggest, "hostname") == ["host0", "host1"]
    assert ids(data(cluster, "agents", "--sort-by", "total"), "hostname") == ["host1", "host0"]
    table, wide = ctl(cluster, "agents").stdout, ctl(cluster, "agents", "-o", "wide").stdout
    assert table.split()[:9] == [
        "ID",
        "HOSTNAME",
        "ADDRESS",
        "STATUS",
        "TOTAL",
        "ALLOCATED",
        "RESERVED",
        "MACHINE",
        "USED",
    ]
    assert len(data(cluster, "agents", "--sort-by", "used")) == 2
    # Agents of one host on loopback: the default address is 127.0.0.1.
    assert [a["address"] for a in listed] == ["127.0.0.1", "127.0.0.1"]
    assert len(data(cluster, "agents", "--sort-by", "address")) == 2
    assert "OFFERED" not in table and "OFFERED" in wide and "DRAIN" in wide
    assert agent["drained"] in table and "draining" in table

    busy = data(cluster, "agents", "show", "host0")
    assert busy["agent_id"] == agent["busy"]
    assert ids(busy["tasks"], "task_id") == ["sleeper"]
    assert sum(o["resources"]["cpus"] for o in busy["offers"]) == 1.5
    assert data(cluster, "agents", "show", agent["drained"], output="yaml")["tasks"] == []
    assert "tasks_usage" in busy  # its live tasks' containers, summed
    described = ctl(cluster, "agents", "show", agent["busy"]).stdout
    assert "Hostname:" in described and "Tasks (live):" in described and "sleeper" in described
    # The machine's measured use apart from what the agent offers (--resources).
    assert "Machine used:" in described and "(the whole machine, measured)" in described


def _frameworks(cluster: Cluster, main: str, gone: str) -> None:
    listed = data(cluster, "frameworks")
    assert [(f["name"], f["status"]) for f in listed] == [
        ("gone", "disconnected"),
        ("main", "active"),
    ]
    assert ids(data(cluster, "frameworks", "--state", "disconnected"), "framework_id") == [gone]
    assert ids(data(cluster, "frameworks", "--role", "prod"), "framework_id") == [main]
    assert data(cluster, "frameworks", "--role", "nobody") == []
    by_share = data(cluster, "frameworks", "--sort-by", "share", "--reverse")
    assert ids(by_share, "name") == ["main", "gone"]
    assert data(cluster, "frameworks", output="yaml") == listed
    wide = ctl(cluster, "frameworks", "-o", "wide").stdout
    assert "CONTROL" in wide and "main" in wide
    assert "CONTROL" not in ctl(cluster, "frameworks").stdout

    shown = data(cluster, "frameworks", "show", "main")
    assert shown["framework_id"] == main and shown["role"] == "prod"
    assert ids(shown["tasks"], "task_id") == ["sleeper"]
    assert shown["offers"] and {o["framework_id"] for o in shown["offers"]} == {main}
    assert "Role:" in ctl(cluster, "frameworks", "show", gone).stdout


def _tasks(cluster: Cluster, main: str, agent: dict[str, str]) -> None:
    listed = data(cluster, "tasks")
    assert sorted(ids(listed, "task_id")) == ["broken", "done", "sleeper"]
    assert steady(data(cluster, "tasks", output="yaml")) == steady(listed)
    assert ids(
        data(cluster, "tasks", "--state", "failed,finished", "--sort-by", "id"), "task_id"
    ) == [
        "broken",
        "done",
    ]
    assert ids(data(cluster, "tasks", "--state", "RUNNING"), "task_id") == ["sleeper"]
    for by in ("--framework", "main"), ("--framework", main), ("--role", "prod"):
        assert len(data(cluster, "tasks", *by)) == 3, by
    assert len(data(cluster, "tasks", "--agent", "host0")) == 3
    assert data(cluster, "tasks", "--agent", agent["drained"]) == []
    assert data(cluster, "tasks", "--role", "batch") == []
    biggest = data(cluster, "tasks", "--sort-by", "resources", "--reverse")
    assert biggest[0]["task_id"] == "sleeper"
    [broken] = data(cluster, "tasks", "--state", "failed")
    assert (broken["exit_code"], broken["reason"], broken["agent_id"]) == (
        3,
        "COMMAND_EXITED",
        agent["busy"],
    )
    table = ctl(cluster, "tasks", "--sort-by", "id").stdout
    rows = [line.split()[0] for line in table.splitlines()]
    assert rows == ["ID", "broken", "done", "sleeper"]
    wide = ctl(cluster, "tasks", "-o", "wide").stdout
    assert "EXIT" in wide and "COMMAND" in wide and "sleep 300" in wide
    assert "EXIT" not in table


def _offers(cluster: Cluster, main: str, busy: str) -> None:
    offers = data(cluster, "offers")
    assert offers and {(o["framework_id"], o["agent_id"]) for o in offers} == {(main, busy)}
    assert sum(o["resources"]["mem"] for o in offers) == 960
    assert data(cluster, "offers", output="yaml") == offers
    assert data(cluster, "offers", "--framework", "gone") == []
    assert data(cluster, "offers", "--agent", "host0", "--role", "prod") == offers
    first = offers[0]
    assert data(cluster, "offers", "show", first["offer_id"]) == first
    assert "Hostname:" in ctl(cluster, "offers", "show", first["offer_id"]).stdout
    table = ctl(cluster, "offers").stdout
    assert first["offer_id"] in table and "host0" in table
    assert "ATTRIBUTES" in ctl(cluster, "offers", "-o", "wide").stdout


def _watch(cluster: Cluster) -> None:
    every = ("--watch", "--watch-count", "3", "--interval", "0.1")
    lines = ctl(cluster, "tasks", *every, "-o", "json").stdout.splitlines()
    assert len(lines) == 3 and all(len(json.loads(line)) == 3 for line in lines)
    tables = ctl(cluster, "status", *every).stdout.split("\n---\n")
    assert len(tables) == 3 and all("1 active, 1 draining" in t for t in tables)
    docs = list(
        yaml.safe_load_all(ctl(cluster, "agents", "show", "host1", *every, "-o", "yaml").stdout)
    )
    assert len(docs) == 3 and all(d["hostname"] == "host1" for d in docs)
    for kind in ("agents", "frameworks", "offers"):
        shown = ctl(cluster, kind, *every, "-o", "wide").stdout
        assert shown.count("\n---\n") == 2, kind
