"""docs/grafana-dashboard.json imports into Grafana as it is: valid JSON of
a current schema, every query on the datasource chosen at import, and
every metric it queries listed in docs/metrics.md (so a renamed metric
cannot leave a panel silently empty)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent.parent / "docs"
DASHBOARD = DOCS / "grafana-dashboard.json"
# Every metric of this project's daemons starts so (the process_* ones
# are prometheus-client's, listed in docs/metrics.md too).
METRIC = re.compile(r"\b((?:offer|grpc|process)_[a-z_]+)\b")
SERIES_SUFFIXES = ("_bucket", "_sum", "_count")


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def queries(board: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def documented() -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", (DOCS / "metrics.md").read_text()))


def test_the_dashboard_is_importable() -> None:
    board = dashboard()
    assert board["schemaVersion"] >= 36
    assert board["uid"] and board["title"]
    [source] = board["__inputs"]
    assert (source["name"], source["pluginId"]) == ("DS_PROMETHEUS", "prometheus")
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]


def test_every_metric_the_dashboard_queries_is_documented() -> None:
    known = documented()
    queried = set()
    for expr in queries(dashboard()):
        for name in METRIC.findall(expr):
            base = next((name[: -len(s)] for s in SERIES_SUFFIXES if name.endswith(s)), name)
            queried.add(base if base in known else name)
    assert queried, "no metric queried"
    assert not queried - known, sorted(queried - known)


def test_the_dashboard_shows_the_masters_key_metrics() -> None:
    text = " ".join(queries(dashboard()))
    for name in (
        "offer_master_tasks",
        "offer_master_resources_allocated",
        "offer_master_resources_capacity",
        "offer_master_offers_made_total",
        "offer_master_allocation_duration_seconds_bucket",
        "offer_master_status_update_latency_seconds_bucket",
        "grpc_server_handled_total",
        "offer_event_loop_lag_seconds_bucket",
        "process_resident_memory_bytes",
    ):
        assert name in text, name
