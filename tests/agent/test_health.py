"""Health checks run by the agent: HTTP, TCP and command, with a kill policy."""

from __future__ import annotations

from frameworks.sdk import Resources, TaskSpec
from offer.tasks import HealthCheck, PortMapping, StatusReason, TaskState
from tests.support.cluster import IMAGE, Cluster, free_ports
from tests.support.framework import framework

FAST = {"interval": 0.3, "timeout": 1.0, "max_consecutive_failures": 2}


def web(task_id: str, host_port: int, check: HealthCheck | None = None) -> TaskSpec:
    """busybox httpd serving /www (its index.html says "ok") on `host_port`."""
    return TaskSpec(
        task_id,
        task_id,
        Resources(0.1, 32, ports=((host_port, host_port),)),
        IMAGE,
        ("httpd", "-f", "-p", "8080", "-h", "/www"),
        port_mappings=(PortMapping(8080, host_port),),
        kill_grace_seconds=0.2,
        health_check=check,
    )


async def test_http_and_tcp_checks_make_tasks_healthy_and_a_failing_one_is_killed(
    cluster: Cluster,
) -> None:
    cluster.start_master()
    cluster.start_agent(f"cpus:2;mem:1024;{free_ports(3)}")
    async with framework(cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        p1, p2, p3 = [b for b, _ in offer.resources.ports]
        await driver.accept(
            [offer.offer_id],
            [
                web("good", p1, HealthCheck("http", port=8080, path="/", **FAST)),
                web("tcp", p2, HealthCheck("tcp", port=8080, **FAST)),
                web(
                    "bad",
                    p3,
                    HealthCheck(
                        "http", port=8080, path="/missing", kill_when_unhealthy=True, **FAST
                    ),
                ),
            ],
        )
        await rec.until(lambda: _healthy(rec, "good") is True)
        await rec.until(lambda: _healthy(rec, "tcp") is True)
        end = (await rec.until_terminal("bad"))[-1]
        verdicts = [u for u in rec.updates if u.task_id == "bad" and u.healthy is False]

        assert (end.state, end.reason) == (TaskState.KILLED, StatusReason.UNHEALTHY)
        assert end.message == "killed: it failed its health checks"
        [unhealthy] = verdicts[:1]
        assert unhealthy.state == TaskState.RUNNING
        assert unhealthy.reason == StatusReason.HEALTH_CHANGED
        assert "unhealthy after 2 failed checks: HTTP GET /missing" in unhealthy.message
        assert "answered 404" in unhealthy.message

        health = {t["task_id"]: t["healthy"] for t in cluster.offerctl_json("tasks")}
        assert health == {"good": True, "tcp": True, "bad": False}
        assert "healthy" in cluster.offerctl("tasks").stdout


async def test_command_check_runs_inside_the_container(running_cluster: Cluster) -> None:
    check = HealthCheck("command", command=("test", "-f", "/tmp/ready"), grace_period=5, **FAST)
    spec = TaskSpec(
        "cmd",
        "cmd",
        Resources(0.1, 32),
        IMAGE,
        ("sh", "-c", "sleep 1; touch /tmp/ready; sleep 300"),
        kill_grace_seconds=0.2,
        health_check=check,
    )
    async with framework(running_cluster.address) as (driver, rec):
        await rec.launch(driver, spec)
        await rec.until(lambda: _healthy(rec, "cmd") is True)
        healthy = [u for u in rec.updates if u.task_id == "cmd" and u.healthy is not None]
        await driver.kill("cmd")
        await rec.until_state("cmd", TaskState.KILLED)
    # Failures inside the grace period did not count: the first verdict is healthy.
    assert healthy[0].healthy is True
    assert "command 'test -f /tmp/ready' exited with 0" in healthy[0].message


def _healthy(rec, task_id: str) -> bool | None:  # type: ignore[no-untyped-def]
    latest = [u for u in rec.updates if u.task_id == task_id and u.healthy is not None]
    return latest[-1].healthy if latest else None
