"""A job whose tasks the master refuses for what they are (here: a host
folder mounted without the host_mounts grant) fails its run with the
master's words, instead of being offered and refused again forever. Real
master (with authentication and ACLs), agent, offer-batch and offerctl."""

from __future__ import annotations

from pathlib import Path

from tests.support.cluster import IMAGE, Cluster, wait_for

WITHOUT_HOST_MOUNTS = """
register_frameworks: [{principals: "*", roles: "*"}]
register_agents: [{principals: "*"}]
operator: [{principals: "*", actions: "*"}]
"""


def test_a_run_whose_tasks_lack_a_grant_fails_saying_which(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_secure_master(WITHOUT_HOST_MOUNTS)
    cluster.start_agent()
    cluster.start_batch()
    (tmp_path / "job.yaml").write_text(
        f"name: mounts\nimage: {IMAGE}\ncmd: ls /host\nvolumes: ['/tmp:/host:ro']\n"
    )
    assert cluster.job("submit", str(tmp_path / "job.yaml")).returncode == 0
    started = cluster.job("run", "mounts")
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.split()[1]

    def ended() -> dict[str, object] | None:
        run = cluster.job_json("run-show", run_id)
        return run if run["state"] in ("SUCCEEDED", "FAILED", "CANCELLED") else None

    run = wait_for(ended, 30, f"run {run_id} to end")
    assert run["state"] == "FAILED", run
    assert "host_mounts" in str(run["message"]), run
    # Nothing of it reached the agent.
    assert cluster.containers() == []
