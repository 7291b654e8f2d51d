"""Real clusters for tests: master and agent processes on loopback, a real
SQLite file, a real Docker engine. Each cluster has its own port, state
directory and agent ids, so tests run in parallel without meeting."""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import grpc

from agent.containerizer.docker import LABEL_AGENT
from offer.security.client import ClientSecurity
from offer.v1 import operator_pb2, operator_pb2_grpc

IMAGE = "offer-test/busybox:latest"
# ACLs for a master whose tasks may mount host folders (a grant tests use to
# see what ran); anything else stays open as without ACLs.
HOST_MOUNTS = """
register_frameworks: [{principals: "*", roles: "*"}]
register_agents: [{principals: "*"}]
operator: [{principals: "*", actions: "*"}]
containers: [{roles: "*", allow: [host_mounts]}]
"""
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(count: int) -> str:
    """A Mesos ports resource of `count` currently free ports, e.g. "ports:[a,b]"."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return "ports:[" + ",".join(str(s.getsockname()[1]) for s in sockets) + "]"
    finally:
        for s in sockets:
            s.close()


# A daemon's start-up line naming its HTTP port (offer/http/server.py).
_HTTP_LINE = re.compile(r" HTTP \(.*\) on https?://\S*:(\d+)")


def http_port(read_log: Callable[[], str], what: str = "the daemon") -> int:
    """The port a daemon serves HTTP on, from its log: test daemons take any
    free port (OFFER_HTTP_PORT=0, tests/conftest.py), since a port picked
    free by the test may be taken by another daemon's before it binds."""

    def named() -> int | None:
        found = _HTTP_LINE.search(read_log())
        return int(found.group(1)) if found else None

    port: int = wait_for(named, what=f"{what} to say its HTTP port")
    return port


def http_get(url: str, timeout: float = 2.0) -> str | None:
    """The body at `url`, or None if nothing answers there (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return str(response.read().decode())
    except OSError:
        return None


def wait_for(predicate: Callable[[], Any], timeout: float = START_TIMEOUT, what: str = "") -> Any:
    """Polls `predicate` until it returns something truthy (for conditions
    that have no event to await, such as another process's state).

    Between two calls it pauses 0.05 s, or as long as the call took when
    that was longer (up to 0.5 s): a predicate that runs offerctl costs a
    process start (0.3-1 s of CPU), and polling it back to back kept a core
    busy that the daemons under test and the other test worker needed."""
    deadline = time.monotonic() + timeout
    while True:
        called = time.monotonic()
        value = predicate()
        if value:
            return value
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(min(max(0.05, now - called), 0.5, max(0.0, deadline - now)))


def accepts_connections(address: str) -> bool:
    """Whether something listens on HOST:PORT (a TCP connect, no process)."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def stop_all(procs: list[Proc], timeout: float = 10.0) -> None:
    """SIGTERM to every process at once, then waits for each (SIGKILL after
    `timeout`): their graceful stops (about 1 s for a framework, 0.5 s for
    an agent) overlap instead of adding up."""
    for proc in procs:
        if proc.popen.poll() is None:
            proc.popen.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.stop(timeout=timeout)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


@dataclass
class AgentProc(Proc):
    work_dir: Path = field(default_factory=Path)
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def agent_id(self) -> str:
        path = self.work_dir / "agent_id"
        return path.read_text().strip() if path.exists() else ""


class Cluster:
    """Starts processes on demand; `close()` stops them and removes every
    container its agents started. Only a cluster made with `engine=True`
    starts agents: a test marked `docker` (tests/conftest.py) gets one."""

    def __init__(self, root: Path, engine: bool = True) -> None:
        self.root = root
        self.engine = engine
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.db_url = f"sqlite:///{root / 'master.db'}"
        self.master: Proc | None = None
        self._master_args: list[str] = []
        self.agents: list[AgentProc] = []
        self._procs: list[Proc] = []
        # The identity every process and call of this cluster presents.
        self.client_env: dict[str, str] = {}
        self.security = ClientSecurity()
        # Control addresses and command lines of offer-service / offer-batch.
        self.framework_addresses: dict[str, str] = {}
        # Database URL of offer-service / offer-batch, set before starting one;
        # by default a SQLite file in root.
        self.framework_db_urls: dict[str, str] = {}
        self._framework_args: dict[str, list[str]] = {}

    def _spawn(
        self, name: str, args: list[str], env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        log_path = self.root / f"{name}.log"
        popen = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
            env=self._env(env),
        )
        return popen, log_path

    def _env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Every process's environment: with this cluster's identity, if it has one."""
        return {**os.environ, "PYTHONUNBUFFERED": "1", **self.client_env, **(extra or {})}

    def start_secure_master(self, acls: str = "", *extra: str) -> Proc:
        """A master that authenticates callers (principal "test"), with these
        ACLs; every process and call of this cluster then uses that identity."""
        creds = self.root / "credentials"
        creds.write_text("test test-secret\n")
        args = ["--credentials", str(creds)]
        if acls:
            (self.root / "acls.yaml").write_text(acls)
            args += ["--acls", str(self.root / "acls.yaml")]
        self.use_identity("test", "test-secret")
        return self.start_master(*args, *extra)

    def use_identity(self, principal: str, secret: str) -> None:
        self.client_env = {"OFFER_PRINCIPAL": principal, "OFFER_SECRET": secret}
        self.security = ClientSecurity(principal, secret)

    def start_master(self, *extra: str) -> Proc:
        self._master_args = [
            "master.cli",
            "--port",
            str(self.port),
            "--db",
            self.db_url,
            "--heartbeat-interval",
            "2",
            "--allocation-interval",
            "0.2",
            *extra,
        ]
        popen, log_path = self._spawn("master", self._master_args)
        self.master = Proc("master", popen, log_path)
        self._procs.append(self.master)
        wait_for(self._master_answers, what=f"master on {self.address}")
        return self.master

    def start_service(self, *extra: str) -> Proc:
        """offer-service, with its own database and control port."""
        self.service = self._start_framework("service", *extra)
        self.service_address = self.framework_addresses["service"]
        return self.service

    def start_batch(self, *extra: str) -> Proc:
        """offer-batch, with its own database and control port."""
        self.batch = self._start_framework("batch", *extra)
        self.batch_address = self.framework_addresses["batch"]
        return self.batch

    def _start_framework(self, kind: str, *extra: str) -> Proc:
        address = f"127.0.0.1:{free_port()}"
        self.framework_addresses[kind] = address
        self._framework_args[kind] = [
            f"frameworks.{kind}.cli",
            "--master",
            self.address,
            "--db",
            self.framework_db_urls.get(kind, f"sqlite:///{self.root / f'{kind}.db'}"),
            "--port",
            address.rsplit(":", 1)[1],
            *extra,
        ]
        popen, log_path = self._spawn(kind, self._framework_args[kind])
        proc = Proc(kind, popen, log_path)
        self._procs.append(proc)
        self._until_framework_answers(kind, proc)
        return proc

    def _until_framework_answers(self, kind: str, proc: Proc) -> None:
        def alive() -> None:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"offer-{kind} exited:\n{proc.log()}")

        def listens() -> bool:
            alive()
            return accepts_connections(self.framework_addresses[kind])

        def answers() -> bool:
            alive()
            return self._control(kind, "list").returncode == 0

        # A connect first: offerctl (a process) each try, while the framework
        # still starts, took CPU from the very start it waited for.
        wait_for(listens, what=f"offer-{kind} to listen")
        wait_for(answers, what=f"offer-{kind} to answer")

    def restart_service(self, sig: int = signal.SIGKILL) -> None:
        self._restart_framework("service", self.service, sig)

    def restart_batch(self, sig: int = signal.SIGKILL) -> None:
        self._restart_framework("batch", self.batch, sig)

    def _restart_framework(self, kind: str, proc: Proc, sig: int) -> None:
        proc.stop(sig)
        proc.popen, _ = self._spawn(kind, self._framework_args[kind])
        self._until_framework_answers(kind, proc)

    def app(self, *args: str) -> subprocess.CompletedProcess[str]:
        """offerctl app ARGS against this cluster's offer-service."""
        return self._control("service", *args)

    def job(self, *args: str) -> subprocess.CompletedProcess[str]:
        """offerctl job ARGS against this cluster's offer-batch."""
        return self._control("batch", *args)

    def _control(self, kind: str, *args: str) -> subprocess.CompletedProcess[str]:
        group = {"service": "app", "batch": "job"}[kind]
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "offer.ctl.cli",
                "--master",
                self.address,
                group,
                *args[:1],
                f"--{kind}",
                self.framework_addresses[kind],
                *args[1:],
            ],
            capture_output=True,
            text=True,
            timeout=30,
            env=self._env(),
        )

    def app_json(self, app_id: str) -> Any:
        done = self.app("show", app_id, "-o", "json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def job_json(self, *args: str) -> Any:
        """offerctl job ARGS -o json, parsed."""
        done = self.job(*args, "-o", "json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def restart_master(self, sig: int = signal.SIGKILL) -> None:
        """Stops the master (kill -9 by default) and starts it again on the
        same port and database."""
        assert self.master is not None
        self.master.stop(sig)
        self.master.popen, _ = self._spawn("master", self._master_args)
        wait_for(self._master_answers, what=f"master on {self.address} after a restart")

    def _master_answers(self) -> bool:
        assert self.master is not None
        if self.master.popen.poll() is not None:
            raise RuntimeError(f"master exited:\n{self.master.log()}")
        try:
            self.list("agents")
            return True
        except grpc.RpcError:
            return False

    def start_agent(
        self, resources: str = "cpus:2;mem:1024", *extra: str, env: dict[str, str] | None = None
    ) -> AgentProc:
        if not self.engine:
            raise RuntimeError(
                "this test starts an agent, which needs the Docker engine: mark it "
                "@pytest.mark.docker, or add the name it starts agents through to "
                "tests/conftest.py's ENGINE_NAMES"
            )
        n = len(self.agents)
        work_dir = self.root / f"agent{n}"
        args = self.agent_args(resources, work_dir, f"host{n}", *extra)
        popen, log_path = self._spawn(f"agent{n}", args, env)
        agent = AgentProc(f"agent{n}", popen, log_path, work_dir, args, env or {})
        self.agents.append(agent)
        self._procs.append(agent)
        wait_for(lambda: self._registered(agent), what=f"agent{n} to register")
        return agent

    def agent_args(self, resources: str, work_dir: Path, hostname: str, *extra: str) -> list[str]:
        """`python -m` arguments of an agent of this cluster."""
        return [
            "agent.cli",
            "--master",
            self.address,
            "--resources",
            resources,
            "--work-dir",
            str(work_dir),
            "--hostname",
            hostname,
            *extra,
        ]

    def restart_agent(self, agent: AgentProc, sig: int = signal.SIGTERM) -> None:
        """Stops the agent process and starts it again with the same flags."""
        agent.stop(sig)
        agent.popen, _ = self._spawn(agent.name, agent.args, agent.env)
        wait_for(lambda: self._registered(agent), what=f"{agent.name} to register again")

    def _registered(self, agent: AgentProc) -> bool:
        if agent.popen.poll() is not None:
            raise RuntimeError(f"agent exited:\n{agent.log()}")
        ids = {a.agent_id for a in self.list("agents") if a.status not in ("disconnected", "lost")}
        return bool(agent.agent_id) and agent.agent_id in ids

    def list(self, what: str, **kwargs: str) -> list[Any]:
        """Asks the Operator API (a real gRPC call) for agents, frameworks or tasks."""
        with self.security.channel(self.address) as channel:
            stub = operator_pb2_grpc.OperatorStub(channel)
            if what == "agents":
                return list(stub.ListAgents(operator_pb2.ListAgentsRequest(), timeout=5).agents)
            if what == "frameworks":
                return list(
                    stub.ListFrameworks(operator_pb2.ListFrameworksRequest(), timeout=5).frameworks
                )
            return list(stub.ListTasks(operator_pb2.ListTasksRequest(**kwargs), timeout=5).tasks)

    def offerctl(self, *args: str, master: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "offer.ctl.cli", "--master", master or self.address, *args],
            capture_output=True,
            text=True,
            timeout=30,
            env=self._env(),
        )

    def offerctl_json(self, *args: str) -> Any:
        done = self.offerctl(*args, "-o", "json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def containers(self, agent: AgentProc | None = None) -> builtins.list[dict[str, Any]]:
        """This cluster's containers, running or not, straight from the Docker
        engine (the engine's list entries: "Id", "Labels", "State", ...)."""
        agent_ids = [a.agent_id for a in ([agent] if agent else self.agents) if a.agent_id]
        if not agent_ids:
            return []  # no agent registered: nothing to ask the engine
        client = docker.from_env()
        try:
            found: list[dict[str, Any]] = []
            for agent_id in agent_ids:
                found += client.api.containers(
                    all=True, filters={"label": f"{LABEL_AGENT}={agent_id}"}
                )
            return found
        finally:
            client.close()

    def until_no_containers(self, agent: AgentProc | None = None, timeout: float = 20) -> None:
        """Waits until the agent(s) removed every container: an ended task's
        container goes just after its terminal update was sent."""
        wait_for(lambda: self.containers(agent) == [], timeout, "containers to be removed")

    def inspect(self, container_id: str) -> dict[str, Any]:
        client = docker.from_env()
        try:
            return dict(client.api.inspect_container(container_id))
        finally:
            client.close()

    def close(self) -> None:
        """Stops every process, then removes the containers of its agents;
        without an agent it needs no engine."""
        stop_all(list(reversed(self._procs)))
        left = self.containers()
        if not left:
            return
        client = docker.from_env()

        def remove(container: dict[str, Any]) -> None:
            with contextlib.suppress(docker.errors.NotFound):
                client.api.remove_container(container["Id"], force=True, v=True)

        try:
            # Side by side: each is a kill and a removal by the engine (0.2 s).
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(remove, left))
        finally:
            client.close()
