"""offerctl's failures against a real cluster: one clear line on stderr,
exit code 1 (it failed) or 2 (it was asked wrongly), never a traceback."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tests.support.cluster import Cluster, free_port

COMMANDS = [
    ("status",),
    ("agents",),
    ("frameworks", "-o", "wide"),
    ("tasks", "--state", "running"),
    ("offers", "-o", "yaml"),
    ("tasks", "show", "t1"),
    ("agents", "show", "a1"),
    ("events",),
    ("events", "--no-follow"),
    ("agents", "--watch", "--watch-count", "2"),
    ("app", "list"),
]


def _one_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.args, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_an_unreachable_master_is_one_line_for_every_command(cluster: Cluster) -> None:
    address = f"127.0.0.1:{free_port()}"
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda args: cluster.offerctl(*args, master=address), COMMANDS))
    for done in runs:
        line = _one_line(done, 1)
        assert done.stdout == ""
        assert address in line and ("offer-master" in line or "offer-service" in line), line


def test_unknown_ids_and_bad_filters(running_cluster: Cluster) -> None:
    cluster = running_cluster
    cases = [
        (("tasks", "show", "nope"), 1, "offerctl: no task 'nope'; `offerctl tasks` lists them"),
        (("agents", "show", "nope"), 1, "offerctl: no agent 'nope'; `offerctl agents` lists them"),
        (
            ("frameworks", "show", "nope", "-o", "json"),
            1,
            "offerctl: no framework 'nope'; `offerctl frameworks` lists them",
        ),
        (("offers", "show", "nope"), 1, "offerctl: no offer 'nope'; `offerctl offers` lists them"),
        (
            ("tasks", "--framework", "nope"),
            1,
            "offerctl: no framework 'nope'; `offerctl frameworks` lists them",
        ),
        (
            ("offers", "--agent", "nope"),
            1,
            "offerctl: no agent 'nope'; `offerctl agents` lists them",
        ),
        (
            ("tasks", "--state", "bogus"),
            2,
            "offerctl tasks: argument --state: 'bogus' is not a task state; use one of: staging, "
            "starting, running, killing, finished, failed, killed, error, lost; "
            "see 'offerctl tasks --help'",
        ),
        (
            ("agents", "--sort-by", "size"),
            2,
            "offerctl agents: argument --sort-by: 'size' is not a column of offerctl agents; use "
            "one of: id, hostname, address, status, total, allocated, offered, reserved, used, "
            "attributes, drain, age; see 'offerctl agents --help'",
        ),
        (("frameworks", "--agent=a1"), 2, "unrecognized arguments: --agent=a1"),
        (("tasks", "show"), 2, "the following arguments are required: TASK"),
        (("tasks", "list"), 2, "invalid choice: 'list'"),
        (("nothing",), 2, "invalid choice: 'nothing'"),
        (("events", "--count", "0"), 2, "'0' is not a number > 0"),
        (("completion", "fish"), 2, "invalid choice: 'fish'"),
    ]
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda case: cluster.offerctl(*case[0]), cases))
    for (args, code, expected), done in zip(cases, runs, strict=True):
        line = _one_line(done, code)
        assert expected in line, (args, line)


def test_completion_scripts_know_the_commands() -> None:
    for shell, marker in (("bash", "complete"), ("zsh", "#compdef offerctl")):
        done = subprocess.run(
            [sys.executable, "-m", "offer.ctl.cli", "completion", shell],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        assert marker in done.stdout
        for word in ("status", "agents", "tasks", "offers", "events", "--sort-by", "wide"):
            assert word in done.stdout, (shell, word)
