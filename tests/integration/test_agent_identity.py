"""One agent per id: a copy of an agent's work dir on another host (a machine
image) or under another principal is refused once and exits, instead of
taking the id back and forth; an operator's `offerctl agent remove` lets a
rebuilt host register the id anew."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from offer.tasks import StatusReason, TaskState
from tests.support.cluster import AgentProc, Cluster, wait_for
from tests.support.framework import framework, task

REFUSED = "offer-agent: the master refused this agent: "


def clone_args(cluster: Cluster, original: AgentProc, name: str, hostname: str) -> list[str]:
    """The original's command line on a fresh work dir holding a copy of its id."""
    work_dir = cluster.root / name
    work_dir.mkdir()
    (work_dir / "agent_id").write_text(original.agent_id + "\n")
    return [*original.args, "--work-dir", str(work_dir), "--hostname", hostname]


def run_clone(
    cluster: Cluster, args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**cluster._env(), **(env or {})},
    )


def master_log(cluster: Cluster) -> str:
    assert cluster.master is not None
    return cluster.master.log()


def test_a_cloned_agent_id_from_another_host_is_refused_once(cluster: Cluster) -> None:
    cluster.start_master()
    original = cluster.start_agent("cpus:1;mem:256")
    agent_id = original.agent_id

    clone = run_clone(cluster, clone_args(cluster, original, "clone", "hostB"))

    assert clone.returncode == 1, clone.stderr
    assert clone.stderr.strip().splitlines()[-1] == (
        f"{REFUSED}agent {agent_id} is connected from host0; a second agent claims it "
        "from hostB: give this one a fresh work dir"
    )
    assert original.popen.poll() is None
    [listed] = cluster.list("agents")
    assert (listed.agent_id, listed.hostname, listed.status) == (agent_id, "host0", "active")
    log = master_log(cluster)
    assert log.count("registration refused") == 1, log
    assert log.count(f"agent {agent_id} registered from") == 1, log


def test_another_principals_claim_of_an_agent_id_is_refused(cluster: Cluster) -> None:
    creds = cluster.root / "credentials"
    creds.write_text("alice alice-secret\nbob bob-secret\n")
    cluster.use_identity("alice", "alice-secret")
    cluster.start_master("--credentials", str(creds))
    original = cluster.start_agent("cpus:1;mem:256")

    # Same hostname: only the principal differs.
    clone = run_clone(
        cluster,
        clone_args(cluster, original, "clone", "host0"),
        {"OFFER_PRINCIPAL": "bob", "OFFER_SECRET": "bob-secret"},
    )

    assert clone.returncode == 1, clone.stderr
    assert clone.stderr.strip().splitlines()[-1] == (
        f"{REFUSED}agent {original.agent_id} is registered by principal 'alice', not 'bob': "
        "give this agent a fresh work dir"
    )
    [listed] = cluster.list("agents")
    assert (listed.agent_id, listed.status) == (original.agent_id, "active")


async def test_a_restarted_agent_takes_over_its_id_with_its_tasks(cluster: Cluster) -> None:
    cluster.start_master()
    agent = cluster.start_agent()
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("sleeper", "sleep 300"))
        await rec.until_state("sleeper", TaskState.RUNNING)
        [container] = cluster.containers(agent)

        await asyncio.to_thread(cluster.restart_agent, agent, signal.SIGKILL)

        [listed] = cluster.list("agents")
        assert (listed.agent_id, listed.hostname, listed.status) == (
            agent.agent_id,
            "host0",
            "active",
        )
        [sleeper] = cluster.list("tasks")
        assert sleeper.status.state == TaskState.RUNNING
        # The same container, still running (its "Status" text, "Up N
        # seconds", moves on by itself).
        assert [(c["Id"], c["State"]) for c in cluster.containers(agent)] == [
            (container["Id"], "running")
        ]
        assert not [u for u in rec.updates if u.state.is_terminal]
    assert "registration refused" not in master_log(cluster)


async def test_remove_lets_a_rebuilt_host_register_the_id_anew(cluster: Cluster) -> None:
    cluster.start_master()
    agent = cluster.start_agent()
    agent_id = agent.agent_id
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("doomed", "sleep 300"))
        await rec.until_state("doomed", TaskState.RUNNING)

        connected = cluster.offerctl("agent", "remove", agent_id)
        assert connected.returncode == 1
        assert (
            f"agent {agent_id} is connected from host0; only an agent that is not connected "
            "can be removed: stop it first"
        ) in connected.stderr

        agent.stop(signal.SIGKILL)  # its container keeps running
        await asyncio.to_thread(
            wait_for,
            lambda: cluster.list("agents")[0].status == "disconnected",
            30,
            "the agent to disconnect",
        )
        rebuilt = clone_args(cluster, agent, "rebuilt", "hostB")
        refused = run_clone(cluster, rebuilt)
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines()[-1] == (
            f"{REFUSED}agent {agent_id} was registered from host0; an agent claims it from "
            "hostB: give this one a fresh work dir, or, if host0 was rebuilt as hostB, run "
            f"`offerctl agent remove {agent_id}` first"
        )

        removed = cluster.offerctl("agent", "remove", agent_id)
        assert removed.returncode == 0, removed.stderr
        lost = await rec.until_state("doomed", TaskState.LOST)
        assert lost.reason == StatusReason.AGENT_LOST
        assert "was removed by an operator" in lost.message
        assert cluster.list("agents") == []

        again = cluster.offerctl("agent", "remove", agent_id)
        assert again.returncode == 1
        assert f"no agent {agent_id!r} is known" in again.stderr

        # The rebuilt host keeps the id and registers anew from hostB.
        popen, log_path = cluster._spawn("rebuilt", rebuilt)
        proc = AgentProc("rebuilt", popen, log_path, Path(rebuilt[rebuilt.index("--work-dir") + 1]))
        cluster.agents.append(proc)
        cluster._procs.append(proc)
        await asyncio.to_thread(
            wait_for,
            lambda: (
                [(a.agent_id, a.hostname, a.status) for a in cluster.list("agents")]
                == [(agent_id, "hostB", "active")]
            ),
            30,
            "the rebuilt host to register",
        )
        # The old container it reported is not a task the master expects: killed.
        await asyncio.to_thread(
            wait_for, lambda: cluster.containers(proc) == [], 30, "the stray container to go"
        )


def test_an_agent_back_on_its_host_takes_over_a_half_open_stream(cluster: Cluster) -> None:
    """The master still holds the old process's stream (SIGSTOP: its socket
    stays open, nothing flows); the agent started again on the same host, as
    after a crash the master has not noticed yet, is taken at once."""
    cluster.start_master()
    original = cluster.start_agent("cpus:1;mem:256")
    agent_id = original.agent_id
    registered = f"agent {agent_id} registered from host0"
    before = master_log(cluster).count(registered)
    original.popen.send_signal(signal.SIGSTOP)
    try:
        args = clone_args(cluster, original, "again", "host0")
        again = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=cluster._env(),
        )
        try:
            took_over = wait_for(
                lambda: (
                    master_log(cluster).count(registered) > before
                    and [a for a in cluster.list("agents") if a.status == "active"]
                ),
                20,
                "the agent back on its host to register",
            )
            assert [a.agent_id for a in took_over] == [agent_id]
            assert again.poll() is None
        finally:
            again.terminate()
            again.wait(10)
    finally:
        original.popen.send_signal(signal.SIGKILL)
        original.popen.wait(10)
