"""What every daemon's command line answers: --version, and --log-level in
any case."""

from __future__ import annotations

import subprocess
import sys

import pytest

from offer.version import version

DAEMONS = {
    "offer-master": "master.cli",
    "offer-agent": "agent.cli",
    "offer-service": "frameworks.service.cli",
    "offer-batch": "frameworks.batch.cli",
}


@pytest.mark.parametrize("prog", sorted(DAEMONS))
def test_version_and_a_lowercase_log_level(prog: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", DAEMONS[prog], "--log-level", "warning", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{prog} {version()}"


def test_an_unknown_log_level_names_the_choices() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "master.cli", "--log-level", "loud"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "invalid choice: 'LOUD' (choose from 'DEBUG', 'INFO', 'WARNING', 'ERROR')" in done.stderr


@pytest.mark.parametrize("prog", sorted(DAEMONS))
def test_help_examples_render_line_by_line(prog: str) -> None:
    """An example continued with a backslash stays on two lines in --help."""
    done = subprocess.run(
        [sys.executable, "-m", DAEMONS[prog], "--help"], capture_output=True, text=True, timeout=30
    )
    examples = done.stdout.split("examples:", 1)[1]
    assert examples.strip()
    for line in examples.splitlines():
        assert "      --" not in line.strip(), f"a continuation line was joined: {line!r}"
