"""Helpers of the web UI's tests: a cluster with the master's HTTP port
known, what the tests put in it, and plain HTTP calls (with Basic
authentication and TLS when the master has them)."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.cluster import IMAGE, Cluster, http_port, wait_for

# A line the job's task prints: the logs view must show it.
HELLO_LINE = "hello from offer-batch, task"
# ... and a line each instance of the app prints before it sleeps.
WEB_LINE = "web instance up, serving"
APP = f"""
id: web
image: {IMAGE}
cmd: echo "{WEB_LINE}"; sleep 600
cpus: 0.25
mem: 32
instances: 2
kill_grace_seconds: 0.2
"""
# One instance per host, three instances, two hosts: the UI says why the
# third is missing.
UNIQUE_APP = f"""
id: cache
image: {IMAGE}
cmd: sleep 600
cpus: 0.1
mem: 16
instances: 3
constraints: [[hostname, UNIQUE]]
kill_grace_seconds: 0.2
"""
JOB = f"""
name: hello
image: {IMAGE}
cmd: echo "{HELLO_LINE} $OFFER_TASK_INDEX"
cpus: 0.1
mem: 16
completions: 2
parallelism: 2
"""


@dataclass
class UiCluster:
    cluster: Cluster
    # Where the master serves HTTP: loopback, or the browser's bridge
    # (tests/browser/browser_host.py).
    host: str = "127.0.0.1"
    # Known once the master started (start_master).
    http_port: int = 0
    scheme: str = "http"
    # Basic credentials (principal, secret), when the master has --credentials.
    login: tuple[str, str] | None = None
    tls: ssl.SSLContext | None = None
    seeded: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def make(cls, root: Path, host: str = "127.0.0.1") -> UiCluster:
        return cls(Cluster(root), host)

    def start_master(self, *extra: str) -> None:
        http = ["--http-host", self.host]
        if self.host != "127.0.0.1" and "--credentials" not in extra:
            http.append("--insecure")  # the bridge is this test's own
        master = self.cluster.start_master(*http, *extra)
        self.http_port = http_port(master.log, "the master")

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.http_port}"

    def request(self, path: str, login: tuple[str, str] | None = None) -> urllib.request.Request:
        request = urllib.request.Request(self.url + path)
        login = login or self.login
        if login is not None:
            token = base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        return request

    def get(
        self, path: str, login: tuple[str, str] | None = None, timeout: float = 10
    ) -> tuple[int, str]:
        """(HTTP status, body) of GET path."""
        try:
            with urllib.request.urlopen(
                self.request(path, login), timeout=timeout, context=self.tls
            ) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def json(self, path: str) -> Any:
        status, body = self.get(path)
        assert status == 200, f"GET {path}: {status} {body}"
        return json.loads(body)


def seed_cluster(ui: UiCluster) -> None:
    """offer-service (role prod) with the app `web` (2 instances running)
    the app `cache` (one of its 3 instances cannot be placed), offer-batch (role batch)
    with the job `hello`, run once to its end."""
    cluster = ui.cluster
    cluster.start_service("--role", "prod")
    cluster.start_batch("--role", "batch")
    specs = cluster.root / "specs"
    specs.mkdir()
    (specs / "web.yaml").write_text(APP)
    (specs / "hello.yaml").write_text(JOB)
    (specs / "cache.yaml").write_text(UNIQUE_APP)
    deployed = cluster.app("deploy", str(specs / "web.yaml"), "--wait", "--timeout", "30")
    assert deployed.returncode == 0, deployed.stderr
    cache = cluster.app("deploy", str(specs / "cache.yaml"))
    assert cache.returncode == 0, cache.stderr
    assert cluster.job("submit", str(specs / "hello.yaml")).returncode == 0
    started = cluster.job("run", "hello", "--wait")
    assert started.returncode == 0, started.stdout + started.stderr
    runs = cluster.job_json("runs", "hello")
    ui.seeded["run_id"] = runs[0]["run_id"]
    ui.seeded["batch_framework"] = runs[0].get("framework_id", "")


def until_task(ui: UiCluster, predicate: Any, what: str) -> dict[str, Any]:
    """The first task of /api/v1/tasks that `predicate` holds for."""

    def found() -> dict[str, Any] | None:
        return next((t for t in ui.json("/api/v1/tasks")["tasks"] if predicate(t)), None)

    return wait_for(found, 30, what)  # type: ignore[no-any-return]
