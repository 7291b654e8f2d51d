"""offer-cluster, as a person uses it: `up` in one process, the printed
commands in a shell, `down` in another process; nothing is left after."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from offer.localcluster.hosts import needs_root_problem

pytestmark = pytest.mark.docker

STATE = Path("/tmp/occli")
INDEX = 40
BIN = Path(sys.executable).parent


def offer_cluster(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "offer-cluster"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def offerctl_json(env: dict[str, str], *args: str) -> Any:
    result = subprocess.run(
        [str(BIN / "offerctl"), *args, "-o", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env=env,
    )
    return json.loads(result.stdout)


def printed_exports(out: str) -> dict[str, str]:
    line = next(line for line in out.splitlines() if line.strip().startswith("export "))
    return dict(pair.split("=", 1) for pair in line.split()[1:])


def printed_deploy(out: str) -> str:
    """The printed example, from `cat > web.yaml` to `app deploy`, as a script."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if "cat > web.yaml" in line)
    end = next(i for i, line in enumerate(lines) if " app deploy " in line)
    return textwrap.dedent("\n".join(lines[start : end + 1])) + "\n"


def leftovers() -> list[str]:
    found = []
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [f"namespace {ns.split()[0]}" for ns in netns.splitlines() if f"oc{INDEX}-" in ns]
    bridge = subprocess.run(["ip", "link", "show", f"ocbr{INDEX}"], capture_output=True)
    if bridge.returncode == 0:
        found.append(f"bridge ocbr{INDEX}")
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(STATE) + "/" in cmdline:
                found.append(f"process {proc.name}: {cmdline[:120]}")
    if STATE.exists():
        found.append(f"folder {STATE}")
    return found


@pytest.mark.timeout(400)
def test_up_deploy_down(tmp_path: Path) -> None:
    if problem := needs_root_problem():
        pytest.skip(f"offer-cluster: {problem}")
    up = offer_cluster(
        "up", "--hosts", "2", "--state-dir", str(STATE), "--subnet-index", str(INDEX),
        timeout=240,
    )  # fmt: skip
    try:
        assert up.returncode == 0, up.stderr
        exports = printed_exports(up.stdout)
        assert exports["OFFER_MASTER"] == f"10.231.{INDEX}.1:5050"
        assert f"10.231.{INDEX}.1:5000/offer-test/busybox:latest" in up.stdout
        env = {"PATH": f"{BIN}:/usr/sbin:/usr/bin:/sbin:/bin", **exports}
        # What it prints for building Compose build: services names the
        # registry and the first host's engine, which is there.
        builder = [line for line in up.stdout.splitlines() if "OFFER_REGISTRY=" in line]
        build_env = printed_exports("\n".join(builder))
        assert build_env["OFFER_REGISTRY"] == f"10.231.{INDEX}.1:5000"
        assert Path(build_env["DOCKER_HOST"].removeprefix("unix://")).is_socket()

        agents = offerctl_json(env, "agents")
        assert sorted(a["hostname"] for a in agents) == ["h1", "h2"]
        assert {a["address"] for a in agents} == {f"10.231.{INDEX}.2", f"10.231.{INDEX}.3"}

        # The printed example deploys one instance per host.
        script = printed_deploy(up.stdout)
        assert "instances: 2" in script
        deploy = subprocess.run(
            ["bash", "-euc", script.replace("--wait", "--wait --timeout 90")],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        deadline = time.monotonic() + 30
        while True:
            tasks = offerctl_json(env, "tasks", "--state", "running")
            if len(tasks) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert len(tasks) == 2, tasks
        assert all(re.fullmatch(r"web\..+", t["task_id"]) for t in tasks), tasks
        hosts = {a["agent_id"]: a["hostname"] for a in agents}
        assert sorted(hosts[t["agent_id"]] for t in tasks) == ["h1", "h2"]

        status = offer_cluster("status", "--state-dir", str(STATE), timeout=60)
        assert status.returncode == 0, status.stdout + status.stderr
    finally:
        down = offer_cluster("down", "--state-dir", str(STATE), timeout=180)
    assert down.returncode == 0, down.stderr
    assert leftovers() == []

    again = offer_cluster("down", "--state-dir", str(STATE), timeout=60)
    assert again.returncode == 0
    assert "nothing was running" in again.stderr
