"""A task's stop signal (what a kill sends first), pure: the rule the
master and offer-service share, the wire both ways, the master's check,
offer-service's app field and Compose's stop_signal and stop_grace_period."""

from __future__ import annotations

from dataclasses import replace

import pytest

from frameworks.checks import SpecError
from frameworks.service.compose import compose_to_apps
from frameworks.service.spec import parse_app
from master.validation import check_tasks
from offer import wire
from offer.resources import Resources
from offer.tasks import TaskSpec, stop_signal_problem

SPEC = TaskSpec("t1", "t1", Resources(1, 64), "img")


@pytest.mark.parametrize(
    "value", ["", "SIGINT", "INT", "sigquit", "SIGUSR1", "SIGRTMIN+3", "SIGRTMAX-1", "2", "64"]
)
def test_signals_the_engine_takes(value: str) -> None:
    assert stop_signal_problem(value) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("SIGFOO", "'SIGFOO' is not a Linux signal: give a name such as SIGINT"),
        ("INT ", "'INT ' is not a Linux signal"),
        ("-2", "'-2' is not a Linux signal"),
        ("0", "signal number 0 is not within 1-64"),
        ("65", "signal number 65 is not within 1-64"),
        ("SIGRTMIN+16", "is not a Linux signal"),
    ],
)
def test_other_signals_are_refused_saying_what_to_give(value: str, problem: str) -> None:
    found = stop_signal_problem(value)
    assert found is not None and problem in found


def test_the_stop_signal_travels_both_ways() -> None:
    sent = replace(SPEC, stop_signal="SIGINT")
    assert wire.task_to_pb(sent).container.stop_signal == "SIGINT"
    assert wire.task_from_pb(wire.task_to_pb(sent)) == sent
    assert wire.spec_from_json(wire.spec_to_json(sent)) == sent
    assert wire.task_from_pb(wire.task_to_pb(SPEC)).stop_signal == ""


def test_the_master_refuses_an_unknown_signal_naming_the_field() -> None:
    offer = Resources(2, 1024)
    assert check_tasks([replace(SPEC, stop_signal="SIGINT")], offer, used=lambda _: False) is None
    problem = check_tasks([replace(SPEC, stop_signal="SIGSTOPP")], offer, used=lambda _: False)
    assert problem is not None
    assert "container.stop_signal: 'SIGSTOPP' is not a Linux signal" in problem


def test_an_app_stop_signal_reaches_its_tasks_and_a_bad_one_is_refused() -> None:
    app = parse_app({"id": "web", "image": "img", "stop_signal": "SIGINT"})
    assert app.task("web.1").stop_signal == "SIGINT"
    assert parse_app({"id": "web", "image": "img"}).task("web.1").stop_signal == ""
    with pytest.raises(SpecError) as err:
        parse_app({"id": "web", "image": "img", "stop_signal": "SIGNOPE"})
    assert str(err.value) == (
        "app 'web': stop_signal: 'SIGNOPE' is not a Linux signal: give a name such as SIGINT, "
        "SIGTERM, SIGQUIT, SIGHUP or SIGUSR1, or a number 1-64"
    )


def test_an_unchanged_app_without_a_stop_signal_keeps_its_version() -> None:
    # A field added at its default is no part of the version (spec.ADDED_FIELDS).
    before = parse_app({"id": "web", "image": "img"}).version
    assert parse_app({"id": "web", "image": "img", "stop_signal": ""}).version == before
    assert parse_app({"id": "web", "image": "img", "stop_signal": "SIGINT"}).version != before


def _service(**keys: object) -> dict[str, object]:
    [app] = compose_to_apps({"services": {"web": {"image": "img", **keys}}})
    return app


def test_compose_stop_signal_and_stop_grace_period_map_onto_the_app() -> None:
    app = _service(stop_signal="SIGINT", stop_grace_period="1m30s")
    assert (app["stop_signal"], app["kill_grace_seconds"]) == ("SIGINT", 90.0)
    parsed = parse_app(app)
    assert (parsed.stop_signal, parsed.kill_grace_seconds) == ("SIGINT", 90.0)
    assert "stop_signal" not in _service() and "kill_grace_seconds" not in _service()


def test_compose_bad_stop_values_are_refused_naming_the_service() -> None:
    with pytest.raises(SpecError) as err:
        _service(stop_grace_period="soon")
    assert str(err.value) == (
        "services.web.stop_grace_period: not a duration such as '30s' or '1m30s': 'soon'"
    )
    with pytest.raises(SpecError) as err:
        parse_app(_service(stop_signal="SIGWHAT"))
    assert "app 'web': stop_signal: 'SIGWHAT' is not a Linux signal" in str(err.value)
