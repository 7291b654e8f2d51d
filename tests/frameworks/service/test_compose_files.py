"""The Compose corpus (tests/data/compose/) deployed on a real cluster:
real master, agent, offer-service and containers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks.service.test_service import until_running
from tests.support.cluster import IMAGE, Cluster, free_ports, wait_for

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


def test_mapped_keys_run_as_asked(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster.start_master()
    cluster.start_agent(f"cpus:1;mem:256;{free_ports(2)}")
    cluster.start_service()
    monkeypatch.setenv("IMAGE", IMAGE)
    done = cluster.app("deploy", str(CORPUS / "keys" / "compose.yaml"))
    assert done.returncode == 0, done.stderr
    [web] = until_running(cluster, 1, "web")
    out = logs_with(cluster, web["task_id"], "pwd=")
    # working_dir, user, env_file under environment (which wins).
    assert "pwd=/www id=65534 from_file=web.env both=from-environment" in out
    healthy = wait_for(
        lambda: [t for t in cluster.app_json("web")["tasks"] if t["health"] == "healthy"],
        20,
        "web healthy by its Compose healthcheck",
    )
    assert healthy[0]["hostname"] == "host0"
    [container] = [
        c for c in cluster.containers() if c["Labels"].get("offer.task_id") == web["task_id"]
    ]
    assert container["Labels"]["tier"] == "front"
    [off] = until_running(cluster, 1, "nocheck")
    assert off["health"] == ""  # NONE: no check at all
