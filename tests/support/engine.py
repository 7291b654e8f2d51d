"""A private Docker engine for tests that stop and restart one, without
disturbing the shared engine every other test uses."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import docker
import pytest
import requests

from tests.support.cluster import IMAGE, wait_for


class PrivateEngine:
    def __init__(self) -> None:
        if os.geteuid() != 0 or not (shutil.which("dockerd") and shutil.which("unshare")):
            pytest.skip("needs root, dockerd and unshare to run a private Docker engine")
        # Short: containerd's socket under exec-root must fit a unix socket path.
        self.root = Path(tempfile.mkdtemp(prefix="oe-", dir="/tmp"))
        self.host = f"unix://{self.root}/docker.sock"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        r = self.root
        # Its own network namespace: a second dockerd in the host's namespace
        # removes the shared engine's docker0 bridge, breaking every other
        # test's containers. unshare execs dockerd, so the pid is dockerd's.
        command = [
            "unshare", "--net", "dockerd",
            "--host", self.host,
            "--data-root", str(r / "data"),
            "--exec-root", str(r / "exec"),
            "--pidfile", str(r / "docker.pid"),
            "--iptables=false",
            "--ip-masq=false",
            "--shutdown-timeout", "1",
        ]  # fmt: skip
        self._proc = subprocess.Popen(
            command, stdout=(r / "dockerd.log").open("ab"), stderr=subprocess.STDOUT
        )
        wait_for(self._answers, 30, f"the private engine at {self.host}")

    def _answers(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise RuntimeError((self.root / "dockerd.log").read_text()[-2000:])
        try:
            client = docker.DockerClient(base_url=self.host)
        except docker.errors.DockerException:
            return False  # no socket yet
        try:
            return bool(client.ping())
        except (docker.errors.DockerException, requests.exceptions.ConnectionError):
            return False
        finally:
            client.close()

    def load_test_image(self) -> None:
        shared = docker.from_env()
        mine = docker.DockerClient(base_url=self.host)
        try:
            mine.images.load(b"".join(shared.images.get(IMAGE).save(named=True)))
        finally:
            shared.close()
            mine.close()

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(30)

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)
