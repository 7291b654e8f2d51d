"""`make demo`'s script runs to the end and leaves nothing behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docker
import psutil

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_to_the_end_and_cleans_up(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "demo.py"),
            "--tasks",
            "3",
            "--state-dir",
            str(state),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    agent_id = (state / "agent" / "agent_id").read_text().strip()
    out = done.stdout
    assert "== offerctl agents" in out and agent_id in out
    assert "== offerctl frameworks" in out and "hello" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("hello-")]
    finished = [r for r in rows if not r[0].endswith(":") and "FINISHED" in r]
    assert len(finished) == 3
    assert "no container left behind" in out

    leftovers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(state) in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"offer.agent_id={agent_id}"}) == []
    client.close()
