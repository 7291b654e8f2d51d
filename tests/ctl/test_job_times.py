"""Times in `offerctl job` views: in the format of every other view, and a
schedule's next run in the job's own time zone, named."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cluster import IMAGE, Cluster

JOB = f"""
name: nightly
image: {IMAGE}
cmd: exit 0
schedule: "0 3 * * *"
timezone: Asia/Tokyo
"""


def test_next_run_is_shown_in_the_jobs_zone(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_batch()
    spec = tmp_path / "jobs.yaml"
    spec.write_text(JOB)
    assert cluster.job("submit", str(spec)).returncode == 0
    table = cluster.job("list").stdout
    [row] = [line for line in table.splitlines() if line.startswith("nightly")]
    assert " 03:00:00.000 Asia/Tokyo" in row, table
    [listed] = json.loads(cluster.job("list", "-o", "json").stdout)
    assert listed["timezone"] == "Asia/Tokyo" and listed["next_run_at"] > 0
    assert "next run: " in cluster.job("show", "nightly").stdout
