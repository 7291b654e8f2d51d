"""Several offer-master processes on one PostgreSQL database (issue 22): one
leads, the others stand by; a Cluster whose agents, frameworks and offerctl
are given all of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc

from offer.v1 import operator_pb2, operator_pb2_grpc
from tests.support.cluster import Cluster, free_port, wait_for

# Short, so that a standby takes over within a couple of seconds.
LEASE = 1.5


class HaMasters:
    """offer-master processes on one database, each on a port of its own."""

    def __init__(self, root: Path, db_url: str) -> None:
        self.root, self.db_url = root, db_url
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, *extra: str, port: int | None = None) -> str:
        """A master (on `port`, else a free one) answering GetStatus."""
        address = f"127.0.0.1:{port or free_port()}"
        args = ["--port", address.rsplit(":", 1)[1], "--db", self.db_url]
        args += ["--leader-lease", str(LEASE), "--heartbeat-interval", "2"]
        args += ["--allocation-interval", "0.2", *extra]
        self.procs[address] = subprocess.Popen(
            [sys.executable, "-m", "master.cli", *args],
            stdout=self.log_path(address).open("ab"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        wait_for(lambda: self.status(address) is not None, what=f"master on {address}")
        return address

    def log_path(self, address: str) -> Path:
        return self.root / f"master-{address.rsplit(':', 1)[1]}.log"

    def log(self, address: str) -> str:
        return self.log_path(address).read_text()

    def status(self, address: str) -> operator_pb2.GetStatusResponse | None:
        """GetStatus, which a standby answers too; None if nothing answers.
        Raises if the master exited other than by kill -9."""
        proc = self.procs[address]
        if proc.poll() is not None and proc.returncode != -signal.SIGKILL:
            raise RuntimeError(f"master {address} exited {proc.returncode}:\n{self.log(address)}")
        with grpc.insecure_channel(address) as channel:
            try:
                status: operator_pb2.GetStatusResponse = operator_pb2_grpc.OperatorStub(
                    channel
                ).GetStatus(operator_pb2.GetStatusRequest(), timeout=2)
            except grpc.RpcError:
                return None
        return status

    def role(self, address: str) -> tuple[int, str] | None:
        """(role, the leader it names), or None if it does not answer."""
        status = self.status(address)
        return None if status is None else (status.role, status.leader)

    def leads(self, address: str) -> bool:
        return self.role(address) == (operator_pb2.MASTER_ROLE_LEADER, address)

    def leader(self) -> str | None:
        """The live master that leads, if one does."""
        live = [a for a, p in self.procs.items() if p.poll() is None]
        return next((a for a in live if self.leads(a)), None)

    def kill(self, address: str) -> None:
        self.procs[address].send_signal(signal.SIGKILL)
        self.procs[address].wait()

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


class HaCluster(Cluster):
    """A Cluster whose every process and offerctl call is given all the
    masters (`--master a,b,c`); its own Operator calls go to the leader."""

    def __init__(self, root: Path, masters: HaMasters, addresses: list[str]) -> None:
        super().__init__(root, engine=True)
        self.masters = masters
        self.address = ",".join(addresses)

    def list(self, what: str, **kwargs: str) -> list[Any]:
        leader = wait_for(self.masters.leader, what="a leading master")
        plain = Cluster(self.root, engine=False)
        plain.address = leader
        return plain.list(what, **kwargs)
