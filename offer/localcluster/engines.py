"""A Docker engine per host: its own data root, exec root and socket,
publishing on the host's address and trusting the set's plain-HTTP registry.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import docker
import docker.errors
import requests

from offer.localcluster import pids
from offer.localcluster.network import Host, HostSetupError

START_TIMEOUT = 60.0


class HostEngine:
    def __init__(self, host: Host, folder: Path, registry: str) -> None:
        self.host = host
        # Short: containerd's socket under the exec root must fit a unix path.
        self.folder = folder
        self.registry = registry
        self.docker_host = f"unix://{folder}/docker.sock"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / "dockerd.log"

    def start(self, extra: Sequence[str] = ()) -> None:
        """Starts the engine; `extra` are more dockerd flags (e.g. a TCP
        listener with TLS)."""
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        # Its own (empty) config: the machine's /etc/docker/daemon.json is
        # the machine engine's.
        (folder / "daemon.json").write_text("{}\n")
        command = [
            "dockerd",
            "--config-file", str(folder / "daemon.json"),
            "--host", self.docker_host,
            "--data-root", str(folder / "data"),
            "--exec-root", str(folder / "exec"),
            "--pidfile", str(folder / "docker.pid"),
            "--ip", self.host.address,
            "--insecure-registry", self.registry,
            "--shutdown-timeout", "1",
            *extra,
        ]  # fmt: skip
        self._proc = subprocess.Popen(
            self.host.argv(command),
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.answers():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-1500:]
                raise HostSetupError(f"dockerd on {self.host.name} did not start:\n{tail}")
            time.sleep(0.1)

    def power_on(self) -> None:
        """Starts the engine again after `power_off`. The exec root is
        cleared first, as a reboot clears /run where it normally lives."""
        _unmount_under(self.folder / "exec")
        shutil.rmtree(self.folder / "exec", ignore_errors=True)
        self.start()

    def answers(self) -> bool:
        try:
            with contextlib.closing(self.client(timeout=2)) as client:
                return bool(client.ping())
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return False

    def client(self, timeout: int = 60) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.docker_host, timeout=timeout)

    def stop(self) -> None:
        """A clean shutdown: the engine stops its containers first."""
        if pid := self._pid():
            pids.stop([pid], 20.0)
        self._reap()

    def power_off(self) -> None:
        """As if the machine lost power: every container killed at once,
        the engine and its containerd killed without a shutdown."""
        with contextlib.suppress(Exception), contextlib.closing(self.client(timeout=5)) as client:
            for container in client.containers.list():
                with contextlib.suppress(docker.errors.APIError):
                    container.kill()
        pid = self._pid()
        children = _children(pid) if pid else []
        for victim in [pid, *children]:
            if victim:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(victim, signal.SIGKILL)
        self._reap()
        (self.folder / "docker.pid").unlink(missing_ok=True)

    def _pid(self) -> int:
        with contextlib.suppress(OSError, ValueError):
            return int((self.folder / "docker.pid").read_text().strip())
        return 0

    def _reap(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(5)


def _unmount_under(root: Path) -> None:
    """Lazily unmounts what a killed engine left mounted under `root`,
    deepest first, so that its folder can be removed."""
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text()
            found += [int(c) for c in text.split()]
    return found
