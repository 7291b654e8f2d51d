"""`make demo`'s script shows each part at work, and leaves nothing behind,
whether it runs to the end or is interrupted half-way."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import psutil

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def demo(state: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """scripts/demo.py running; stopped with SIGTERM (it then cleans up) if
    the test ends first."""
    command = [sys.executable, str(ROOT / "scripts" / "demo.py"), "--state-dir", str(state)]
    proc = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)


def section(out: str, title: str) -> str:
    """What the demo printed under its `== title` banner."""
    return out.split(f"\n== {title}\n", 1)[1].split("\n== ", 1)[0]


def assert_nothing_left(state: Path) -> None:
    """No process of this demo runs, and its agent has no container."""
    leftovers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(state) in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []
    agent_id = (state / "agent" / "agent_id").read_text().strip()
    client = docker.from_env()
    try:
        left = client.api.containers(all=True, filters={"label": f"offer.agent_id={agent_id}"})
    finally:
        client.close()
    assert left == []


def test_demo_runs_every_part_to_the_end_and_cleans_up(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    with demo(state, "--tasks", "3", "--instances", "3", "--job-tasks", "4") as proc:
        out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, out + err
    agent_id = (state / "agent" / "agent_id").read_text().strip()
    assert agent_id in section(out, "offerctl agents")
    frameworks = section(out, "offerctl frameworks")
    assert all(name in frameworks for name in ("hello", "offer-service", "offer-batch"))
    tasks = [line.split() for line in section(out, "offerctl tasks").splitlines()]
    assert len([t for t in tasks if t[0].startswith("hello-") and "FINISHED" in t]) == 3

    # The killed container's instance ended, and another runs in its place.
    [replaced] = [line for line in out.splitlines() if " was replaced by " in line]
    killed, replacement = replaced.split(" was replaced by ")
    app = section(out, "offerctl app show web")
    assert app.startswith("app web: 3 of 3 running")
    # TASK AGENT HOST ADDRESS STATE ...
    states = {row[0]: row[4] for row in (line.split() for line in app.splitlines()[1:])}
    assert states[killed] == "FAILED" and states[replacement] == "RUNNING"

    [run] = [line.split() for line in section(out, "offerctl job runs count").splitlines()[1:]]
    assert run[:3] == ["count-1", "SUCCEEDED", "4/4"]
    assert "no container left behind" in out
    assert_nothing_left(state)


def test_a_demo_interrupted_half_way_leaves_nothing_behind(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    with demo(state, "--tasks", "1", "--instances", "2") as proc:
        assert proc.stdout is not None
        # The app's instances run: stop the demo while it waits for a replacement.
        for line in proc.stdout:
            if line.startswith("== killing "):
                break
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "removed the containers left behind" in err
    assert_nothing_left(state)
