"""Compose's stdin_open and tty: app fields, carried by the task and its
wire form to the agent. Pure: no processes (the e2e test runs them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from frameworks.checks import SpecError
from frameworks.service.compose import compose_to_apps
from frameworks.service.documents import parse_apps
from offer import wire

CORPUS = Path(__file__).parents[2] / "data" / "compose" / "tty"


def test_they_become_the_apps_and_the_tasks_fields_and_cross_the_wire() -> None:
    [shell] = parse_apps((CORPUS / "compose.yaml").read_text())
    assert (shell.stdin_open, shell.tty) == (True, True)
    task = shell.task("shell.1")
    assert (task.stdin_open, task.tty) == (True, True)
    msg = wire.task_to_pb(task)
    assert (msg.container.stdin_open, msg.container.tty) == (True, True)
    assert wire.spec_from_json(wire.spec_to_json(task)) == task


@pytest.mark.parametrize(
    ("given", "mapped"),
    [({}, {}), ({"stdin_open": "true", "tty": False}, {"stdin_open": True, "tty": False})],
)
def test_left_out_they_are_off_and_a_string_is_read_as_the_schema_allows(
    given: dict[str, object], mapped: dict[str, bool]
) -> None:
    [app] = compose_to_apps({"services": {"web": {"image": "x", **given}}})
    assert {k: app[k] for k in ("stdin_open", "tty") if k in app} == mapped
    assert parse_apps("apps: [{id: web, image: x}]")[0].tty is False


def test_a_string_that_is_not_a_boolean_is_refused_by_name() -> None:
    with pytest.raises(SpecError, match=r"services.web.tty: not true or false: 'yes please'"):
        compose_to_apps({"services": {"web": {"image": "x", "tty": "yes please"}}})
