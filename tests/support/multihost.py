"""Clusters across hosts (offer.localcluster): the master on the bridge's
address with TLS and credentials, as a real cluster runs, and each agent in
a host's network namespace on that host's Docker engine.

One HostSet per test worker (its own 10.231.N.0/24), shared by that
worker's tests: each test has its own master and agents on the hosts, and a
test that cuts or powers off a host gives it back before it ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from agent.containerizer.docker import LABEL_AGENT
from offer.localcluster.hosts import Host, HostSet
from offer.security.client import ClientSecurity
from tests.support.cluster import IMAGE, AgentProc, Cluster, wait_for
from tests.support.tls import make_pki

# The port range every test agent offers: agents on different hosts may
# offer the same ports, as on real machines.
PORTS = "ports:[31000-31099]"


def worker_index() -> int:
    """A subnet of its own for each pytest-xdist worker (gw0 -> 10, ...)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 10 + int(worker.removeprefix("gw") or 0)


@dataclass
class HostAgent(AgentProc):
    host: Host | None = None


class HostCluster(Cluster):
    """A Cluster whose agents run on the hosts of `hosts`."""

    def __init__(self, root: Path, hosts: HostSet) -> None:
        super().__init__(root, engine=True)
        self.hosts = hosts
        self.address = f"{hosts.gateway}:{self.port}"
        self.image = hosts.image(IMAGE)
        pki = make_pki(root, [hosts.gateway])
        self._tls = ["--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)]
        self._ca = pki.ca
        self.host_agents: list[HostAgent] = []

    def start_master(self, *extra: str) -> Any:
        """A master on the bridge's address, speaking TLS, that requires
        credentials (principal "test"): every process of the cluster uses them."""
        creds = self.root / "credentials"
        creds.write_text("test test-secret\n")
        self.client_env = {
            "OFFER_PRINCIPAL": "test",
            "OFFER_SECRET": "test-secret",
            "OFFER_TLS_CA": str(self._ca),
        }
        self.security = ClientSecurity("test", "test-secret", tls_ca=self._ca.read_bytes())
        return super().start_master(
            "--host", self.hosts.gateway, "--credentials", str(creds), *self._tls, *extra
        )

    def _start_framework(self, kind: str, *extra: str) -> Any:
        """offer-service / offer-batch with TLS on their control APIs too."""
        control_tls = ["--control-tls-cert", self._tls[1], "--control-tls-key", self._tls[3]]
        return super()._start_framework(kind, *control_tls, *extra)

    def start_agent_on(
        self,
        host: Host,
        resources: str = f"cpus:1;mem:512;{PORTS}",
        *extra: str,
        extra_env: dict[str, str] | None = None,
    ) -> HostAgent:
        """An agent on `host`, on that host's engine unless `extra_env`
        names another (DOCKER_HOST)."""
        n = len(self.agents)
        work_dir = self.root / f"agent{n}-{host.name}"
        args = self.agent_args(resources, work_dir, host.name, "--usage-interval", "1", *extra)
        log_path = self.root / f"agent{n}-{host.name}.log"
        env = {**self._env(), **(extra_env or {})}
        popen = self.hosts.spawn(host, [sys.executable, "-m", *args], log_path, env)
        agent = HostAgent(f"agent{n}", popen, log_path, work_dir, args, extra_env or {}, host)
        self.agents.append(agent)
        self.host_agents.append(agent)
        self._procs.append(agent)
        wait_for(lambda: self._registered(agent), what=f"agent on {host.name} to register")
        return agent

    def restart_agent(self, agent: AgentProc, sig: int = signal.SIGTERM) -> None:
        assert isinstance(agent, HostAgent) and agent.host is not None
        agent.stop(sig)
        agent.popen = self.hosts.spawn(
            agent.host,
            [sys.executable, "-m", *agent.args],
            agent.log_path,
            {**self._env(), **agent.env},
        )
        wait_for(lambda: self._registered(agent), what=f"{agent.name} to register again")

    def containers(self, agent: AgentProc | None = None) -> list[dict[str, Any]]:
        """This cluster's containers on every host's engine that answers."""
        return [c for _, c in self._containers(agent)]

    def _containers(self, agent: AgentProc | None = None) -> list[tuple[Any, dict[str, Any]]]:
        agent_ids = [a.agent_id for a in ([agent] if agent else self.host_agents) if a.agent_id]
        found = []
        for engine in self.hosts.engines.values():
            if not agent_ids or not engine.answers():
                continue  # none to look for, or powered off
            with contextlib.closing(engine.client()) as client:
                for agent_id in agent_ids:
                    listed = client.api.containers(
                        all=True, filters={"label": f"{LABEL_AGENT}={agent_id}"}
                    )
                    found += [(engine, c) for c in listed]
        return found

    def running_by_host(self) -> dict[str, int]:
        """How many of this cluster's containers run on each host's engine."""
        agent_ids = [a.agent_id for a in self.host_agents if a.agent_id]
        counts = {}
        for name, engine in self.hosts.engines.items():
            if not engine.answers():
                counts[name] = 0
                continue
            with contextlib.closing(engine.client()) as client:
                counts[name] = sum(
                    len(client.api.containers(filters={"label": f"{LABEL_AGENT}={agent_id}"}))
                    for agent_id in agent_ids
                )
        return counts

    def close(self) -> None:
        for proc in reversed(self._procs):
            proc.stop()
        for engine, container in self._containers():
            with (
                contextlib.closing(engine.client()) as client,
                contextlib.suppress(docker.errors.APIError),
            ):
                client.api.remove_container(container["Id"], force=True, v=True)
