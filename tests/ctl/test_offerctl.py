"""offerctl against a real running cluster."""

from __future__ import annotations

import json
import re

from tests.support.cluster import Cluster, free_port
from tests.support.framework import framework, task


async def test_lists_what_ran(running_cluster: Cluster) -> None:
    async with framework(running_cluster.address, name="ctl-test") as (driver, rec):
        offer = await rec.next_offer()
        await driver.accept([offer.offer_id], [task("fine", "exit 0"), task("broken", "exit 7")])
        await rec.until_terminal("fine")
        await rec.until_terminal("broken")

    tasks = {t["task_id"]: t for t in running_cluster.offerctl_json("tasks")}
    assert tasks["fine"]["state"] == "FINISHED"
    assert tasks["fine"]["exit_code"] == 0
    assert tasks["broken"]["state"] == "FAILED"
    assert tasks["broken"]["exit_code"] == 7
    assert tasks["broken"]["framework_id"] == rec.framework_id
    assert tasks["broken"]["image"] == "offer-test/busybox:latest"

    failed = running_cluster.offerctl_json("tasks", "--state", "failed")
    assert [t["task_id"] for t in failed] == ["broken"]

    [agent] = running_cluster.offerctl_json("agents")
    assert agent["agent_id"] == running_cluster.agents[0].agent_id
    assert agent["total"] == {"cpus": 2.0, "mem": 1024.0, "disk": 0.0}
    assert agent["status"] == "active"

    [fw] = running_cluster.offerctl_json("frameworks")
    assert (fw["framework_id"], fw["name"], fw["status"]) == (
        rec.framework_id,
        "ctl-test",
        "disconnected",
    )

    table = running_cluster.offerctl("tasks")
    assert table.returncode == 0
    assert (
        "broken" in table.stdout
        and "FAILED" in table.stdout
        and "exited with code 7" in table.stdout
    )
    agents_table = running_cluster.offerctl("agents").stdout
    assert running_cluster.agents[0].agent_id in agents_table


async def test_tasks_shows_its_limit_and_says_how_many_more(running_cluster: Cluster) -> None:
    ids = [f"n{i}" for i in range(1, 9)]
    async with framework(running_cluster.address, name="many") as (driver, rec):
        offer = await rec.next_offer()
        await driver.accept([offer.offer_id], [task(i) for i in ids])
        for i in ids:
            await rec.until_terminal(i)
    # One Accept: the same created_at, then newest first by task id.
    newest = sorted(ids, reverse=True)

    table = running_cluster.offerctl("tasks", "--limit", "5")
    assert table.returncode == 0, table.stderr
    shown = {i for i in ids if re.search(rf"\b{i}\b", table.stdout)}
    assert shown == set(newest[:5]), table.stdout
    assert table.stdout.strip().splitlines()[-1] == "3 more: --limit or --all"

    fetched = running_cluster.offerctl("tasks", "--limit", "5", "-o", "json")
    assert [t["task_id"] for t in json.loads(fetched.stdout)] == newest[:5]
    assert fetched.stderr.strip() == "3 more: --limit or --all"

    every = running_cluster.offerctl_json("tasks", "--all", "--framework", "many")
    assert [t["task_id"] for t in every] == newest
    two = running_cluster.offerctl_json(
        "tasks", "--state", "finished,failed", "--agent", "host0", "--limit", "2"
    )
    assert [t["task_id"] for t in two] == newest[:2]
    table = running_cluster.offerctl("tasks", "--framework", "many")
    assert "more: --limit" not in table.stdout  # 8 of 100: nothing is left out


def test_unreachable_master_is_one_clear_line(cluster: Cluster) -> None:
    address = f"127.0.0.1:{free_port()}"
    done = cluster.offerctl("agents", master=address)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"cannot reach the master at {address}" in lines[0]


def test_usage_errors_exit_2(cluster: Cluster) -> None:
    done = cluster.offerctl("agents", "-o", "xml")
    assert done.returncode == 2
    assert "invalid choice: 'xml'" in done.stderr
