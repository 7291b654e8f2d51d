"""`offerctl app deploy FILE --dry-run`: the real offerctl, calling nothing
(no master runs: a dry run that called one would fail)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

CORPUS = Path(__file__).parents[2] / "data" / "compose"


def dry_run(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # A master address nobody listens on: the dry run must not need one.
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "offer.ctl.cli",
            "--master",
            "127.0.0.1:1",
            "app",
            "deploy",
            str(path),
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )


def test_interpolation_from_the_environment_over_dotenv() -> None:
    done = dry_run(CORPUS / "interpolation" / "compose.yaml", IMAGE="img:1", TAG="from-env")
    assert done.returncode == 0, done.stderr
    [app] = yaml.safe_load(done.stdout)["apps"]
    assert app["image"] == "img:1"
    assert app["cmd"][:2] == ["sh", "-c"]
    assert app["cmd"][2].startswith(
        'echo "tag=from-env from=dotenv default=fallback empty= literal=$HOME"'
    )
    assert app["env"] == {"GREETING": "hi there"}
    assert done.stderr == ""


def test_a_required_variable_missing_refuses_the_file(tmp_path: Path) -> None:
    done = dry_run(CORPUS / "interpolation" / "compose.yaml")
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        "compose.yaml: services.echo.image: variable IMAGE is not set: set IMAGE to the test image"
    )
    assert done.stdout == ""


def test_an_unset_variable_is_warned_of_and_empty(tmp_path: Path) -> None:
    spec = tmp_path / "compose.yaml"
    spec.write_text("services:\n  web:\n    image: img${NOPE_NOT_SET}\n")
    done = dry_run(spec)
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["apps"][0]["image"] == "img"
    assert 'the "NOPE_NOT_SET" variable is not set' in done.stderr


def test_a_refused_file_says_why_and_prints_no_apps(tmp_path: Path) -> None:
    spec = tmp_path / "compose.yaml"
    spec.write_text("services:\n  web:\n    image: img\n    deploy: {replicas: three}\n")
    done = dry_run(spec)
    assert done.returncode == 1
    assert "services.web.deploy.replicas" in done.stderr
    assert done.stdout == ""
