"""A set of hosts on this machine: the network, an engine per host and the
registry, made and removed as one. What it made is written to its folder
(hosts.json, pid files), so that another process (`offer-cluster down`, the
next test run) removes it even after the maker was killed.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import docker

from offer.localcluster import pids
from offer.localcluster.engines import HostEngine, _unmount_under
from offer.localcluster.network import Host, HostSetupError, Network
from offer.localcluster.registry import Registry

__all__ = ["Host", "HostSet", "HostSetupError", "needs_root_problem"]

STATE = "hosts.json"
REQUIRED = ("ip", "iptables", "nsenter", "dockerd", "docker-registry")


def needs_root_problem() -> str:
    """Why hosts cannot be made here, or "" if they can."""
    if os.geteuid() != 0:
        return "making hosts (network namespaces, engines) needs root"
    missing = [tool for tool in REQUIRED if shutil.which(tool) is None]
    if missing:
        return (
            f"missing {', '.join(missing)} (Debian: apt-get install "
            "iproute2 iptables docker.io docker-registry)"
        )
    return ""


class HostSet:
    """`count` hosts h1..hN on 10.231.`index`.0/24, kept under `root`.

    `root` should be short (an engine's containerd socket lives under it).
    """

    def __init__(self, index: int, count: int, root: Path) -> None:
        self.root = root
        self.network = Network(index, count)
        self.hosts = self.network.hosts
        self.gateway = self.network.gateway
        self.registry = Registry(self.gateway, root / "registry")
        self.engines = {
            h.name: HostEngine(h, root / h.name, self.registry.address) for h in self.hosts
        }

    # -- making and removing ------------------------------------------------

    def up(self, images: Sequence[str] = ()) -> None:
        """Makes the network, the registry and every engine, then pushes
        `images` (from this machine's engine) to the registry, from h1."""
        if problem := needs_root_problem():
            raise HostSetupError(problem)
        teardown(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / STATE).write_text(
            json.dumps({"index": self.network.index, "count": len(self.hosts)}) + "\n"
        )
        try:
            self.network.create()
            self.registry.start()
            with concurrent.futures.ThreadPoolExecutor(len(self.hosts)) as pool:
                list(pool.map(lambda e: e.start(), self.engines.values()))
            for image in images:
                self.push(image)
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        # Its own engines first, all at once: their shutdowns take a while.
        with concurrent.futures.ThreadPoolExecutor(len(self.hosts)) as pool:
            list(pool.map(lambda e: e.stop(), self.engines.values()))
        self.registry.stop()
        teardown(self.root)

    # -- using ----------------------------------------------------------------

    def host(self, name: str) -> Host:
        return self.network.host(name)

    def engine(self, host: Host | str) -> HostEngine:
        return self.engines[host if isinstance(host, str) else host.name]

    def image(self, image: str) -> str:
        """`image` as the hosts pull it from the registry."""
        return self.registry.name(image)

    def push(self, image: str) -> None:
        """Copies `image` from this machine's engine to h1 and pushes it to
        the registry; the other hosts pull it on first use."""
        first = self.engines[self.hosts[0].name]
        with (
            contextlib.closing(docker.from_env()) as machine,
            contextlib.closing(first.client()) as client,
        ):
            client.images.load(b"".join(machine.images.get(image).save(named=True)))
            repository, _, tag = self.image(image).rpartition(":")
            client.images.get(image).tag(repository, tag)
            for line in client.images.push(repository, tag, stream=True, decode=True):
                if "error" in line:
                    raise HostSetupError(f"pushing {image} failed: {line['error']}")

    def spawn(
        self,
        host: Host,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Runs `argv` in the host's network namespace, its engine named by
        DOCKER_HOST; its pid is kept so that `down` stops it."""
        popen = subprocess.Popen(
            host.argv(argv),
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "DOCKER_HOST": self.engine(host).docker_host, **(env or {})},
        )
        pids.record(self.root / "pids" / f"{popen.pid}.pid", popen.pid)
        return popen

    def power_off(self, host: Host) -> None:
        """Every process of the host's dies at once: its engine, containers
        and whatever `spawn` started there."""
        for pid in _spawned(self.root):
            if _netns_of(pid) == _netns_inode(host):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.engine(host).power_off()

    def power_on(self, host: Host) -> None:
        """The host's engine back (what ran there before is gone)."""
        self.engine(host).power_on()


def teardown(root: Path) -> None:
    """Removes what a HostSet under `root` made: spawned processes, engines,
    the registry, the network, mounts and files. Quiet about what is gone."""
    state_file = root / STATE
    if not state_file.exists():
        return
    state = json.loads(state_file.read_text())
    pids.stop(_spawned(root), 5.0)
    network = Network(int(state["index"]), int(state["count"]))
    for host in network.hosts:
        # A clean shutdown stops the engine's containers and unmounts them.
        HostEngine(host, root / host.name, "").stop()
    pids.stop([pids.running(root / "registry" / "registry.pid")], 5.0)
    network.destroy()
    _unmount_under(root)
    shutil.rmtree(root, ignore_errors=True)


def _spawned(root: Path) -> list[int]:
    """What `spawn` started that still runs (the same processes, not pids
    reused since); the files of those gone are removed."""
    found = []
    for path in (root / "pids").glob("*.pid"):
        if pid := pids.running(path):
            found.append(pid)
        else:
            path.unlink(missing_ok=True)
    return found


def _netns_inode(host: Host) -> int:
    return os.stat(host.netns_path).st_ino


def _netns_of(pid: int) -> int:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return -1
