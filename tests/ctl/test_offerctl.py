"""offerctl against a real running cluster."""

from __future__ import annotations

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
