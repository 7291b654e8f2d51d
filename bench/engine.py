"""A private Docker engine for the container benchmarks, so that `docker
swarm init` and dozens of containers never touch the shared engine that
the test suite (or anyone else) is using meanwhile.

It runs in its own network namespace: a second dockerd in the host's
namespace would delete the shared engine's docker0 bridge. Swarm needs an
address to advertise, so the namespace's loopback is brought up for it.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import docker

IMAGE = "offer-test/busybox:latest"


class BenchEngine:
    def __init__(self) -> None:
        # Short: containerd's socket under exec-root must fit a unix socket path.
        self.root = Path(tempfile.mkdtemp(prefix="ob-", dir="/tmp"))
        self.host = f"unix://{self.root}/docker.sock"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        r = self.root
        command = [
            "unshare",
            "--net",
            "dockerd",
            "--host",
            self.host,
            "--data-root",
            str(r / "data"),
            "--exec-root",
            str(r / "exec"),
            "--pidfile",
            str(r / "docker.pid"),
            "--iptables=false",
            "--ip-masq=false",
            "--shutdown-timeout",
            "1",
        ]
        log = (r / "dockerd.log").open("ab")
        self._proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((r / "dockerd.log").read_text()[-2000:])
            time.sleep(0.1)
        # unshare execs dockerd, so its pid names the namespace.
        netns = f"--net=/proc/{self._proc.pid}/ns/net"
        subprocess.run(["nsenter", netns, "ip", "link", "set", "lo", "up"], check=True)

    def _answers(self) -> bool:
        try:
            client = docker.DockerClient(base_url=self.host)
        except docker.errors.DockerException:
            return False
        try:
            return bool(client.ping())
        except Exception:
            return False
        finally:
            client.close()

    def load_image(self) -> str:
        """Copies the test image from the shared engine; returns its id."""
        shared, mine = docker.from_env(), docker.DockerClient(base_url=self.host)
        try:
            mine.images.load(b"".join(shared.images.get(IMAGE).save(named=True)))
            return str(mine.images.get(IMAGE).id)
        finally:
            shared.close()
            mine.close()

    def docker(self, *args: str, check: bool = True) -> str:
        """Runs the docker CLI against this engine; returns its output."""
        done = subprocess.run(
            ["docker", "--host", self.host, *args], capture_output=True, text=True, check=False
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        # Containers' mounts must be gone before the tree can be removed.
        subprocess.run(["umount", "-R", "-l", str(self.root)], capture_output=True, check=False)
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)
