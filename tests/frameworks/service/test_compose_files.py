"""The Compose corpus (tests/data/compose/) deployed on a real cluster:
real master, agent, offer-service and containers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks.service.test_service import until_running
from tests.support.cluster import IMAGE, Cluster, wait_for

CORPUS = Path(__file__).parents[2] / "data" / "compose"


def logs_with(cluster: Cluster, task_id: str, text: str) -> str:
    def found() -> str | None:
        out = cluster.offerctl("logs", task_id).stdout
        return out if text in out else None

    return wait_for(found, 15, f"{text!r} in the output of {task_id}")  # type: ignore[no-any-return]


def test_interpolated_values_reach_the_container(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_service()
    # offerctl's environment wins over the .env beside the file.
    monkeypatch.setenv("IMAGE", IMAGE)
    monkeypatch.setenv("TAG", "from-env")
    done = cluster.app("deploy", str(CORPUS / "interpolation" / "compose.yaml"))
    assert done.returncode == 0, done.stderr
    [task] = until_running(cluster, 1, "echo")
    out = logs_with(cluster, task["task_id"], "tag=")
    # $$HOME reached the shell as $HOME, which it expanded.
    assert "tag=from-env from=dotenv default=fallback empty= literal=/" in out


def test_a_file_the_compose_schema_refuses_deploys_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    cluster.start_service()
    spec = tmp_path / "compose.yaml"
    spec.write_text(
        f"services:\n  web:\n    image: {IMAGE}\n    healthcheck: {{test: [CMD, 'true'], "
        "intervall: 5s}\n    ports: [[80]]\n"
    )
    done = cluster.app("deploy", str(spec))
    assert done.returncode == 1
    assert "services.web.healthcheck.intervall: unknown field; did you mean 'interval'?" in (
        done.stderr
    )
    assert "services.web.ports[0]: not a number, a string or a mapping: [80]" in done.stderr
    assert cluster.app("list").stdout.strip() == "No apps."
