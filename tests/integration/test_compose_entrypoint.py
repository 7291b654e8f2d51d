"""Compose `entrypoint` end to end: offerctl, offer-service, a real agent
and Docker engine run the entrypoint with the command as its arguments."""

from __future__ import annotations

from pathlib import Path

from tests.frameworks.service.test_compose_files import logs_with
from tests.frameworks.service.test_service import until_running
from tests.support.cluster import Cluster

CORPUS = Path(__file__).parents[1] / "data" / "compose" / "entrypoint"


def test_each_entrypoint_form_runs_with_the_command_as_its_arguments(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:1;mem:512")
    cluster.start_service()
    done = cluster.app("deploy", str(CORPUS / "compose.yaml"))
    assert done.returncode == 0, done.stderr
    expected = {
        "string-form": "string form ran with: from command",
        "list-form": "list form ran as: argument-zero",
        "none": "no entrypoint",
    }
    for app_id, line in expected.items():
        [task] = until_running(cluster, 1, app_id)
        logs_with(cluster, task["task_id"], line)
    entrypoints = {
        c["Labels"]["offer.task_id"].split(".")[0]: cluster.inspect(c["Id"])["Config"]["Entrypoint"]
        for c in cluster.containers()
    }
    assert entrypoints["string-form"][:2] == ["/bin/sh", "-c"]
    assert entrypoints["none"] in (None, [""], [])  # the engine keeps no entrypoint
