"""A whole cluster as processes of a bench: a real master (SQLite), real
agents on the Docker engine, offer-service and offer-batch, and offerctl to
drive them. `stop()` ends them all and removes every container their agents
started, whatever state they were left in."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import docker
import psutil

from agent.containerizer.docker import LABEL_AGENT
from bench.containers_bench import OFFERCTL, stop_processes
from bench.masterproc import MasterProcess, free_port

START_TIMEOUT = 60.0
COMMAND_TIMEOUT = 60.0


class Daemons:
    def __init__(
        self,
        root: Path,
        agents: int,
        agent_args: Sequence[str],
        master_args: Sequence[str] = (),
    ) -> None:
        """`agent_args` are every agent's flags beyond its master, work
        folder and hostname (--resources among them)."""
        self.root = root
        self.master = MasterProcess(
            f"sqlite:///{root / 'master.db'}", root / "master.log", *master_args
        )
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.agent_dirs = [root / f"agent{n + 1}" for n in range(agents)]
        self._agent_args = list(agent_args)

    def start(self) -> None:
        self.master.start()
        address = self.master.address
        for n, work_dir in enumerate(self.agent_dirs, 1):
            self._spawn(
                f"agent{n}",
                "agent.cli",
                *("--master", address, "--work-dir", str(work_dir)),
                *("--hostname", f"{self.root.name}-{n}"),
                *self._agent_args,
            )
        for name, module in (
            ("service", "frameworks.service.cli"),
            ("batch", "frameworks.batch.cli"),
        ):
            self._spawn(
                name,
                module,
                *("--master", address, "--db", f"sqlite:///{self.root / name}.db"),
                *("--port", str(free_port())),
            )
        self._until(lambda: all((d / "agent_id").exists() for d in self.agent_dirs), "agents")
        self._until(lambda: self.offerctl("app", "list").returncode == 0, "offer-service")
        self._until(lambda: self.offerctl("job", "list").returncode == 0, "offer-batch")

    def _spawn(self, name: str, *args: str) -> None:
        log = (self.root / f"{name}.log").open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", *args]
        self.procs[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)

    def _until(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.log_tail(name)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            time.sleep(0.2)

    def log_tail(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def offerctl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [*OFFERCTL, *args, "--master", self.master.address]
        try:
            return subprocess.run(
                command, input=stdin, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
            )
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(command, 124, "", "timed out")

    def processes(self) -> dict[str, psutil.Process]:
        found = {"master": psutil.Process(self.master.pid)}
        found.update({name: psutil.Process(p.pid) for name, p in self.procs.items()})
        return found

    def agent_ids(self) -> list[str]:
        paths = [d / "agent_id" for d in self.agent_dirs]
        return [p.read_text().strip() for p in paths if p.exists()]

    def stop(self) -> None:
        stop_processes(list(self.procs.values()))
        self.master.stop()
        self._remove_containers()

    def _remove_containers(self) -> None:
        """Every container the agents started, running or not: a stopped
        agent leaves its containers for its next start to take back."""
        ids = self.agent_ids()
        if not ids:
            return
        client = docker.from_env()
        try:
            for agent_id in ids:
                for c in client.api.containers(
                    all=True, filters={"label": f"{LABEL_AGENT}={agent_id}"}
                ):
                    with contextlib.suppress(docker.errors.NotFound):
                        client.api.remove_container(c["Id"], force=True, v=True)
        finally:
            client.close()
