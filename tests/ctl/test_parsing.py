"""offerctl's pure pieces, without a cluster: filters, sorting, usage
errors, help texts and the status view's shape."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from offer.ctl import cells, events
from offer.ctl.parser import build_parser
from offer.ctl.parsing import lazy
from offer.ctl.views import cluster_status_view
from offer.v1 import common_pb2
from offer.v1 import operator_pb2 as pb


def _parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["--master", "h:1", *argv])


def _usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        _parse(*argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_state_filters_accept_lists_in_any_case() -> None:
    assert _parse("tasks", "--state", "Running,FAILED").state == {"RUNNING", "FAILED"}
    agents = _parse("agents", "--state", "engine-unavailable,lost").state
    assert agents == {"engine unavailable", "lost"}


def test_an_unknown_option_is_named_not_its_value(capsys: pytest.CaptureFixture[str]) -> None:
    # argparse alone skips the flag and calls its value an invalid ACTION.
    err = _usage_error(capsys, "frameworks", "--agent", "a1")
    assert "offerctl frameworks: unknown option --agent; see 'offerctl frameworks --help'" in err
    assert "unknown option" not in _usage_error(capsys, "frameworks", "shw")
    assert "invalid choice: 'shw'" in _usage_error(capsys, "frameworks", "shw")
    # An abbreviation of a known option is not unknown.
    assert "unknown option" not in _usage_error(capsys, "frameworks", "--rev", "shw")


def test_a_malformed_filter_is_one_line_naming_the_valid_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _usage_error(capsys, "tasks", "--state", "running,bogus")
    assert "'bogus' is not a task state; use one of: staging, starting, running" in err
    assert "see 'offerctl tasks --help'" in err
    err = _usage_error(capsys, "frameworks", "--state", "")
    assert "use one of: active, disconnected, removed" in err
    err = _usage_error(capsys, "events", "--type", "agents")
    assert "use one of: agent, framework, task" in err
    assert "not a column of offerctl offers" in _usage_error(capsys, "offers", "--sort-by", "x")
    assert "'-1' is not a whole number" in _usage_error(capsys, "events", "--last", "-1")
    assert "is not a number > 0" in _usage_error(capsys, "agents", "-w", "--interval", "0")


def test_show_keeps_flags_given_to_its_list_command() -> None:
    args = _parse("tasks", "-o", "yaml", "--framework", "fw-1", "show", "t1")
    assert (args.output, args.framework, args.ident, args.watch) == ("yaml", "fw-1", "t1", False)
    assert _parse("tasks", "show", "t1", "-o", "json").output == "json"
    assert _parse("agents", "show", "h1").output == "table"


def _commands(parser: argparse.ArgumentParser, path: str = "") -> dict[str, Any]:
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[f"{path} {name}".strip()] = sub
                found.update(_commands(sub, f"{path} {name}"))
    return found


def test_every_command_has_an_example_in_its_help() -> None:
    commands = _commands(build_parser())
    assert {"status", "agents show", "tasks show", "offers", "events", "completion"} <= set(
        commands
    )
    for name, parser in commands.items():
        _, _, examples = parser.format_help().partition("examples:\n")
        assert f"offerctl {name.split()[0]}" in examples, name


def test_every_command_names_a_function_that_exists() -> None:
    for name, parser in _commands(build_parser()).items():
        run = parser.get_default("run")
        if isinstance(run, lazy):
            assert callable(run.resolve()), name


def _task(task_id: str, state: str, created_at: float, cpus: float) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "state": state,
        "created_at": created_at,
        "resources": {"cpus": cpus, "mem": 32.0},
    }


def test_sorting_by_a_column_is_stable_and_reversible() -> None:
    rows = [
        _task("b", "RUNNING", 3, 0.5),
        _task("a", "FAILED", 1, 1),
        _task("c", "RUNNING", 2, 0.1),
    ]
    assert [r["task_id"] for r in cells.sort_rows("tasks", rows, "id", False)] == ["a", "b", "c"]
    by_state = cells.sort_rows("tasks", rows, "state", False)
    assert [r["task_id"] for r in by_state] == ["a", "b", "c"]
    # Age: the youngest first; resources: by cpus, then memory.
    assert [r["task_id"] for r in cells.sort_rows("tasks", rows, "age", False)] == ["b", "c", "a"]
    biggest = cells.sort_rows("tasks", rows, "resources", True)
    assert [r["task_id"] for r in biggest] == ["a", "b", "c"]
    assert cells.sort_rows("tasks", rows, None, True) == rows[::-1]


def test_event_filters() -> None:
    args = _parse("events", "--type", "task,agent", "--agent", "a1")
    task_event = {
        "type": "TASK_CHANGED",
        "agent_id": "a1",
        "framework_id": "f",
        "task": {"task_id": "t"},
    }
    assert events.wanted(task_event, args)
    assert not events.wanted({**task_event, "agent_id": "a2"}, args)
    framework_event = {"type": "FRAMEWORK_SUBSCRIBED", "agent_id": None, "framework_id": "f"}
    assert not events.wanted({**framework_event, "task": None}, args)
    # Markers of the stream itself pass every filter.
    assert events.wanted({"type": "DROPPED", "agent_id": None, "task": None}, args)


def test_status_view_has_every_count_even_zero() -> None:
    view = cluster_status_view(
        pb.GetStatusResponse(
            address="h:1",
            version="1.0",
            started_at=100.0,
            now=160.5,
            agents={"active": 2, "engine unavailable": 1},
            tasks={"RUNNING": 3},
            total=common_pb2.Resources(cpus=4, mem=2048),
        )
    )
    assert view["master"] == {
        "address": "h:1",
        "version": "1.0",
        "started_at": 100.0,
        "uptime_seconds": 60.5,
    }
    assert view["agents"] == {
        "active": 2,
        "draining": 0,
        "engine_unavailable": 1,
        "disconnected": 0,
        "lost": 0,
        "total": 3,
    }
    assert view["frameworks"]["total"] == 0
    assert view["tasks"]["RUNNING"] == 3 and view["tasks"]["LOST"] == 0
    assert view["resources"]["total"] == {"cpus": 4.0, "mem": 2048.0, "disk": 0.0}
    assert view["resources"]["used"] is None
