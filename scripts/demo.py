"""`make demo`: the cluster at work, shown by offerctl, then stopped cleanly.

A master and an agent run a small framework's containers through resource
offers; offer-service keeps an app's instances running (one container is
killed through the Docker engine and replaced); offer-batch runs a job of
several tasks to completion. Every process stops and every container is
removed at the end, also when a step fails or the demo is interrupted
(Ctrl-C or SIGTERM).

    python scripts/demo.py [--tasks N] [--instances N] [--job-tasks N] [--state-dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import docker
import docker.errors
import grpc

from agent.containerizer.docker import LABEL_AGENT, LABEL_TASK

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "offer-test/busybox:latest"
# Each step is over in a few seconds; a step that takes this long has failed.
STEP_TIMEOUT = 30.0
ENDED = ("FINISHED", "FAILED", "KILLED", "LOST", "ERROR")
APP = """\
id: web
image: {image}
cmd: sleep 3600
cpus: 0.1
mem: 32
instances: {instances}
kill_grace_seconds: 0.2
backoff_seconds: 0.2
"""
JOB = """\
jobs:
  - name: count
    image: {image}
    cmd: echo "task $OFFER_TASK_INDEX of run $OFFER_RUN_ID"; sleep 0.5
    cpus: 0.1
    mem: 32
    completions: {tasks}
    parallelism: 3
"""

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}", flush=True)


def until(predicate: Callable[[], T | None], what: str) -> T:
    """Polls `predicate` until it returns something truthy, and returns that."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        if value := predicate():
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {STEP_TIMEOUT:.0f} s")
        time.sleep(0.2)


class Demo:
    def __init__(self, state_dir: Path, args: argparse.Namespace) -> None:
        self.state_dir = state_dir
        self.args = args
        self.address = f"127.0.0.1:{free_port()}"
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """Starts `python -m ARGS` in its own session, so that a Ctrl-C reaches
        only the demo, which then stops everything in order."""
        log = (self.state_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "offer.ctl.cli", "--master", self.address, *args],
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
        )

    def ctl_json(self, *args: str) -> Any:
        """offerctl ARGS -o json, parsed; None while it fails (not up yet)."""
        done = self.ctl(*args, "-o", "json")
        return json.loads(done.stdout) if done.returncode == 0 else None

    def offerctl(self, *args: str) -> None:
        """Shows `offerctl ARGS` and what it prints; a failure ends the demo."""
        banner(f"offerctl {' '.join(args)}")
        done = self.ctl(*args)
        print(done.stdout, end="", flush=True)
        if done.returncode != 0:
            raise RuntimeError(f"offerctl {' '.join(args)} failed: {done.stderr.strip()}")

    @property
    def agent_id(self) -> str:
        path = self.state_dir / "agent" / "agent_id"
        return path.read_text().strip() if path.exists() else ""

    def run(self) -> None:
        self.start_cluster()
        self.run_hello()
        self.start_frameworks()
        self.run_app()
        self.run_job()
        self.offerctl("frameworks")
        self.offerctl("tasks")
        self.offerctl("app", "remove", "web")
        until(lambda: not self.containers(), "end of the app's containers")

    def start_cluster(self) -> None:
        banner(f"starting offer-master on {self.address} (state in {self.state_dir}/master.db)")
        port = self.address.rsplit(":", 1)[1]
        self.spawn("master", "master.cli", "--port", port, "--db", self.db("master"))
        with grpc.insecure_channel(self.address) as channel:
            grpc.channel_ready_future(channel).result(timeout=STEP_TIMEOUT)
        banner("starting offer-agent (resources measured with psutil)")
        work_dir = str(self.state_dir / "agent")
        self.spawn("agent", "agent.cli", "--master", self.address, "--work-dir", work_dir)
        until(lambda: self.agent_id and self.ctl_json("agents", "show", self.agent_id), "agent")
        self.offerctl("agents")

    def db(self, name: str) -> str:
        return f"sqlite:///{self.state_dir / f'{name}.db'}"

    def run_hello(self) -> None:
        banner(f"running examples/hello_framework.py: {self.args.tasks} containers through offers")
        hello = ROOT / "examples" / "hello_framework.py"
        command = [sys.executable, str(hello), "--master", self.address]
        if subprocess.run([*command, "--tasks", str(self.args.tasks)], timeout=60).returncode:
            raise RuntimeError("hello_framework.py failed")

    def start_frameworks(self) -> None:
        for kind in ("service", "batch"):
            port = str(free_port())
            banner(f"starting offer-{kind} (control API on 127.0.0.1:{port})")
            self.spawn(
                kind, f"frameworks.{kind}.cli", "--master", self.address,
                "--db", self.db(kind), "--port", port,
            )  # fmt: skip
        # offerctl finds them through the master once they have subscribed.
        until(lambda: self.ctl("app", "list").returncode == 0, "offer-service")
        until(lambda: self.ctl("job", "list").returncode == 0, "offer-batch")

    def run_app(self) -> None:
        spec = self.state_dir / "web.yaml"
        spec.write_text(APP.format(image=IMAGE, instances=self.args.instances))
        self.offerctl("app", "deploy", str(spec))
        running = until(lambda: self.running("web", self.args.instances), "running instances")
        victim = running[0]["task_id"]
        [container] = self.containers(victim)
        banner(f"killing {victim}'s container {container[:12]} through the Docker engine")
        with self.engine() as client:
            client.api.kill(container)
        replacement = until(
            lambda: self.running("web", self.args.instances, without=victim), "replacement"
        )
        new = sorted({t["task_id"] for t in replacement} - {t["task_id"] for t in running})
        print(f"{victim} was replaced by {', '.join(new)}", flush=True)
        self.offerctl("app", "show", "web")

    def running(self, app: str, count: int, without: str = "") -> list[dict[str, Any]] | None:
        """The app's instances once exactly `count` run, none is starting and
        `without` is not among them."""
        shown = self.ctl_json("app", "show", app)
        if shown is None:
            return None
        live = [t for t in shown["tasks"] if t["state"] not in ENDED]
        ok = [t for t in live if t["state"] == "RUNNING" and t["task_id"] != without]
        return ok if len(ok) == count == len(live) else None

    def run_job(self) -> None:
        spec = self.state_dir / "jobs.yaml"
        spec.write_text(JOB.format(image=IMAGE, tasks=self.args.job_tasks))
        self.offerctl("job", "submit", str(spec))
        self.offerctl("job", "run", "count")
        run = until(self.ended_run, "end of the run")
        self.offerctl("job", "runs", "count")
        if run["state"] != "SUCCEEDED":
            raise RuntimeError(f"run {run['run_id']} ended {run['state']}")

    def ended_run(self) -> dict[str, Any] | None:
        runs = self.ctl_json("job", "runs", "count") or [{"state": "RUNNING"}]
        return runs[0] if runs[0]["state"] not in ("PENDING", "RUNNING") else None

    @contextlib.contextmanager
    def engine(self) -> Iterator[docker.DockerClient]:
        client = docker.from_env()
        try:
            yield client
        finally:
            client.close()

    def containers(self, task_id: str = "") -> list[str]:
        """The ids of the agent's containers (of one task, if given), running
        or not, straight from the engine."""
        if not self.agent_id:
            return []
        labels = [f"{LABEL_AGENT}={self.agent_id}"]
        if task_id:
            labels.append(f"{LABEL_TASK}={task_id}")
        with self.engine() as client:
            return [c["Id"] for c in client.api.containers(all=True, filters={"label": labels})]

    def stop(self) -> list[str]:
        """Stops every process, newest first, and removes the containers left
        behind, returning their short ids."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        left = self.containers()
        with self.engine() as client:
            for container in left:
                with contextlib.suppress(docker.errors.NotFound):
                    client.api.remove_container(container, force=True)
        return [c[:12] for c in left]


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=5, help="hello_framework.py's containers")
    parser.add_argument("--instances", type=int, default=3, help="the app's instances")
    parser.add_argument("--job-tasks", type=int, default=6, help="the tasks of the job's run")
    parser.add_argument("--state-dir", type=Path, default=ROOT / "demo-state")
    args = parser.parse_args()
    shutil.rmtree(args.state_dir, ignore_errors=True)
    args.state_dir.mkdir(parents=True)
    os.environ["PYTHONUNBUFFERED"] = "1"
    signal.signal(signal.SIGTERM, _interrupted)
    demo = Demo(args.state_dir, args)
    code = 1
    try:
        demo.run()
        code = 0
    except KeyboardInterrupt:
        print("demo: interrupted; stopping everything", file=sys.stderr)
        code = 130
    except Exception as err:
        print(f"demo: {err}", file=sys.stderr)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):  # nothing cuts the clean-up short
            signal.signal(signum, signal.SIG_IGN)
        left = demo.stop()
    if left:
        print(f"demo: removed the containers left behind: {', '.join(left)}", file=sys.stderr)
        code = code or 1
    if code:
        print(f"demo: FAILED; logs are in {args.state_dir}/", file=sys.stderr)
    else:
        banner("demo finished: every process stopped, no container left behind")
    sys.exit(code)


if __name__ == "__main__":
    main()
