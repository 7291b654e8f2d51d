"""Compose keys mapped onto app fields: table-tested, pure."""

from __future__ import annotations

from typing import Any

import pytest

from frameworks.checks import SpecError
from frameworks.service.compose_keys import ComposeUpdateConfig, rolling_rules, seconds
from frameworks.service.documents import parse_apps

S = "services:\n  web:\n    image: img\n"


def app(extra: str) -> dict[str, Any]:
    [web] = parse_apps(S + extra)
    return web.model_dump(mode="json")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10s", 10.0), ("1m30s", 90.0), ("500ms", 0.5), ("1h", 3600.0), ("1.5s", 1.5), (7, 7.0)],
)
def test_durations(text: str | int, expected: float) -> None:
    assert seconds(text) == expected


@pytest.mark.parametrize(
    ("healthcheck", "expected"),
    [
        (
            "{test: [CMD, wget, -q, localhost]}",
            {"command": ["wget", "-q", "localhost"], "interval_seconds": 30.0},
        ),
        (
            "{test: [CMD-SHELL, 'exit 0'], interval: 2s}",
            {"command": "exit 0", "interval_seconds": 2},
        ),
        ("{test: 'exit 0', timeout: 1s, retries: 5}", {"timeout_seconds": 1, "command": "exit 0"}),
        ("{test: 'true', start_period: 1m}", {"grace_period_seconds": 60.0}),
        (
            "{test: 'true', retries: 5}",
            {"max_consecutive_failures": 5, "protocol": "command"},
        ),
    ],
)
def test_healthcheck_forms_become_a_command_check(
    healthcheck: str, expected: dict[str, Any]
) -> None:
    check = app(f"    healthcheck: {healthcheck}\n")["health_check"]
    assert {k: check[k] for k in expected} == expected


@pytest.mark.parametrize("off", ["{test: [NONE]}", "{test: NONE}", "{disable: true}"])
def test_healthcheck_none_or_disabled_is_no_check(off: str) -> None:
    assert app(f"    healthcheck: {off}\n")["health_check"] is None


@pytest.mark.parametrize(
    ("constraints", "expected"),
    [
        ("['node.hostname==h1']", [["hostname", "IS", "h1"]]),
        ("['node.hostname != h1']", [["hostname", "UNLIKE", "h1"]]),
        ("['node.labels.zone==a']", [["zone", "IS", "a"]]),
        ("['node.labels.rack!=r.1']", [["rack", "UNLIKE", "r\\.1"]]),
    ],
)
def test_placement_constraints(constraints: str, expected: list[list[str]]) -> None:
    placed = app(f"    deploy: {{placement: {{constraints: {constraints}}}}}\n")
    assert placed["constraints"] == expected


@pytest.mark.parametrize(
    ("parallelism", "order", "instances", "floor", "over"),
    [
        (None, None, 3, 0.666666, 0.0),  # Swarm's defaults: 1 at a time, stop-first
        (1, "stop-first", 1, 0.0, 0.0),
        (2, "stop-first", 4, 0.5, 0.0),
        (0, "stop-first", 4, 0.0, 0.0),  # 0: all at once
        (1, "start-first", 3, 1.0, 0.333333),
        (5, "start-first", 2, 1.0, 1.0),
    ],
)
def test_update_config_becomes_rolling_rules(
    parallelism: int | None, order: str | None, instances: int, floor: float, over: float
) -> None:
    rules = rolling_rules(ComposeUpdateConfig(parallelism=parallelism, order=order), instances)
    assert rules == {"minimum_health_capacity": floor, "maximum_over_capacity": over}
    # The planner's ceil(N * fraction) gives exactly the parallelism asked for.
    import math

    if parallelism and order == "start-first":
        assert math.ceil(instances * over) == min(parallelism, instances)
    if parallelism and order != "start-first":
        assert instances - math.ceil(instances * floor) == min(parallelism, instances)


def test_other_keys_map_to_app_fields() -> None:
    mapped = app(
        "    ports: ['8080', '53/udp', '127.0.0.1:5000:5000/tcp']\n"
        "    expose: ['9000']\n"
        "    working_dir: /srv\n"
        "    user: '65534:65534'\n"
        "    labels: [tier=front]\n"
        "    network_mode: host\n"
        "    cap_add: [NET_ADMIN]\n"
        "    deploy: {replicas: 2, resources: {limits: {cpus: '0.5', memory: 128M}}}\n"
    )
    assert {k: mapped[k] for k in ("ports", "udp_ports", "working_dir", "user")} == {
        "ports": [8080, 5000],
        "udp_ports": [53],
        "working_dir": "/srv",
        "user": "65534:65534",
    }
    assert (mapped["labels"], mapped["network"], mapped["privileged"]) == (
        {"tier": "front"},
        "host",
        True,
    )
    assert (mapped["instances"], mapped["cpus"], mapped["mem"]) == (2, 0.5, 128.0)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("    env_file: a.env\n", "services.web.env_file: read by offerctl"),
        ("    network_mode: none\n", "services.web.network_mode: only host (or bridge"),
        ("    ports: ['53/sctp']\n", "services.web.ports: '53/sctp': only tcp and udp"),
        ("    healthcheck: {test: [CMD]}\n", "services.web.healthcheck: test: not [CMD, arg...]"),
        ("    healthcheck: {interval: 5s}\n", "services.web.healthcheck: test: required"),
        ("    healthcheck: {test: 'true', interval: 5x}\n", "services.web.healthcheck: not a dur"),
        (
            "    deploy: {placement: {constraints: ['node.role==manager']}}\n",
            "services.web.deploy.placement.constraints[0]: 'node.role==manager': only",
        ),
        (
            "    deploy: {update_config: {order: sideways}}\n",
            "services.web.deploy.update_config.order: 'sideways' is not one of",
        ),
        ("    volumes_from: [db]\n", "services.web.volumes_from: unknown field"),
    ],
)
def test_what_cannot_be_honoured_is_refused_by_name(extra: str, expected: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_apps(S + extra)
    assert str(caught.value).startswith(expected), str(caught.value)
