"""Quota with real processes: a master, agents running Docker containers,
and frameworks on the public SDK. A greedy framework in role `batch`
launches long tasks on everything it is offered; a framework in role
`prod` with a guarantee comes later and gets its whole guarantee at once,
because `batch` was never offered the headroom; with a limit, `batch` is
never offered past it. The quota survives a kill -9 of the master."""

from __future__ import annotations

import signal
from pathlib import Path

from frameworks.sdk import Resources
from tests.support.cluster import IMAGE, Cluster, wait_for
from tests.support.framework import Greedy, framework

AGENT = "cpus:1;mem:512"


def _quota(cluster: Cluster, role: str) -> dict[str, object]:
    [found] = cluster.offerctl_json("quota", "list", "--role", role)
    assert isinstance(found, dict)
    return found


async def test_a_guaranteed_role_gets_its_guarantee_at_once_after_a_greedy_one(
    cluster: Cluster,
) -> None:
    cluster.start_master()
    for _ in range(3):
        cluster.start_agent(AGENT)
    done = cluster.offerctl("quota", "set", "prod", "--guarantee", AGENT)
    assert done.returncode == 0, done.stderr
    assert "quota of role prod set: guarantee cpus:1;mem:512" in done.stdout

    greedy = Greedy("b")
    async with framework(cluster.address, greedy, "greedy", role="batch") as _:
        # Everything but prod's headroom (one agent's worth) is offered and used.
        await greedy.until(lambda: len(greedy.running) == 4)
        prod_quota = _quota(cluster, "prod")
        assert prod_quota["held_back"] == {"cpus": 1.0, "mem": 512.0, "disk": 0.0}
        assert greedy.offered().cpus == 2 and greedy.offered().mem == 1024

        prod = Greedy("p")
        async with framework(cluster.address, prod, "svc", role="prod"):
            await prod.until(lambda: bool(prod.batches))
            first = sum((o.resources for o in prod.batches[0]), Resources())
            # Its whole guarantee in its first offers: one cycle's.
            assert (first.cpus, first.mem) == (1, 512)
            await prod.until(lambda: len(prod.running) == 2)
            assert _quota(cluster, "prod")["held_back"] == {"cpus": 0.0, "mem": 0.0, "disk": 0.0}
            status = cluster.offerctl("status")
            assert "HELD BACK" in status.stdout and "prod" in status.stdout, status.stdout
            rows = {f["name"]: f for f in cluster.offerctl_json("frameworks")}
            assert rows["svc"]["role_quota"]["guarantee"] == {"cpus": 1.0, "mem": 512.0}
            assert rows["greedy"]["role_quota"] is None
        # batch was never offered what prod was owed.
        assert greedy.offered().cpus == 2


async def test_a_limit_caps_a_greedy_role_and_quotas_survive_a_master_kill(
    cluster: Cluster,
) -> None:
    cluster.start_master()
    for _ in range(2):
        cluster.start_agent(AGENT)
    done = cluster.offerctl("quota", "set", "batch", "--limit", "cpus:1.5")
    assert done.returncode == 0, done.stderr

    greedy = Greedy("b")
    async with framework(cluster.address, greedy, "greedy", role="batch"):
        await greedy.until(lambda: len(greedy.running) == 3)
        assert all(o.resources.cpus <= 1.5 for b in greedy.batches for o in b)
        assert greedy.offered().cpus == 1.5
        batch_quota = _quota(cluster, "batch")
        assert batch_quota["at_limit"] is True
        assert batch_quota["room"] == {"cpus": 0.0}

        # What batch may not have is free for another role, in the next cycle.
        other = Greedy("d")
        async with framework(cluster.address, other, "dev", role="dev"):
            await other.until(lambda: len(other.running) == 1)
            assert other.offered().cpus == 0.5
        assert greedy.offered().cpus == 1.5

    cluster.restart_master(signal.SIGKILL)
    assert _quota(cluster, "batch")["limit"] == {"cpus": 1.5}


def test_bad_quotas_are_refused_with_the_reason(cluster: Cluster) -> None:
    cluster.start_master()
    for args, says in [
        (("--guarantee", "ports:1"), "ports cannot be part of a quota"),
        (("--guarantee", "cpus:4", "--limit", "cpus:2"), "is below its guarantee"),
        (("--guarantee", "gpus:1"), "unknown resource 'gpus'"),
        (("--guarantee", "cpus:-1"), "must be a finite number >= 0"),
    ]:
        done = cluster.offerctl("quota", "set", "prod", *args)
        assert done.returncode == 1 and says in done.stderr, (args, done.stderr)
    done = cluster.offerctl("quota", "remove", "prod")
    assert done.returncode == 1 and "role 'prod' has no quota" in done.stderr
    assert cluster.offerctl_json("quota", "list") == []
    assert cluster.offerctl_json("status")["quotas"] == []


APP = f"""
id: web
image: {IMAGE}
cmd: sleep 300
cpus: 0.1
mem: 32
instances: 2
kill_grace_seconds: 0.2
"""


def test_app_show_says_an_instance_waits_on_its_roles_limit(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    cluster.start_agent()
    cluster.start_service()
    [service] = [f for f in cluster.list("frameworks") if f.info.name == "offer-service"]
    done = cluster.offerctl("quota", "set", service.info.role, "--limit", "cpus:0.1")
    assert done.returncode == 0, done.stderr
    spec = tmp_path / "web.yaml"
    spec.write_text(APP)
    deployed = cluster.app("deploy", str(spec))
    assert deployed.returncode == 0, deployed.stderr

    # One instance fits under the limit; the other waits on it, and says so.
    wait_for(
        lambda: "waiting on role" in cluster.app("show", "web").stdout,
        what="app show to say an instance waits on its role's limit",
    )
    view = cluster.app_json("web")
    assert view["role_quota"]["at_limit"] is True
    assert len([t for t in view["tasks"] if t["state"] not in ("KILLED", "FAILED")]) == 1
