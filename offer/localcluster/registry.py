"""The set's container registry: Debian's `docker-registry`, plain HTTP on the
bridge's address, storing in the set's folder. Images reach every host the
way they do in a real cluster: pushed once, pulled where a task needs them.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from offer.localcluster import pids
from offer.localcluster.network import HostSetupError

PORT = 5000
START_TIMEOUT = 20.0


class Registry:
    def __init__(self, address: str, folder: Path) -> None:
        self.address = f"{address}:{PORT}"
        self.folder = folder
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("docker-registry")
        if binary is None:
            raise HostSetupError(
                "docker-registry is not installed (apt-get install docker-registry, "
                "or `make engine` as root)"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "registry.yml"
        config.write_text(
            "version: 0.1\n"
            "log: {level: warn}\n"
            f"storage: {{filesystem: {{rootdirectory: {self.folder / 'data'}}}}}\n"
            f'http: {{addr: "{self.address}"}}\n'
        )
        self._proc = subprocess.Popen(
            [binary, "serve", str(config)],
            stdout=(self.folder / "registry.log").open("ab"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        pids.record(self.folder / "registry.pid", self._proc.pid)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.answers():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                log = (self.folder / "registry.log").read_text(errors="replace")[-1500:]
                raise HostSetupError(f"the registry on {self.address} did not start:\n{log}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.address}/v2/", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def name(self, image: str) -> str:
        """`image` as named in this registry."""
        return f"{self.address}/{image}"

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(5)
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
