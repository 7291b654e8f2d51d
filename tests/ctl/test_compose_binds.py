"""Relative bind mount sources resolved by offerctl, as `docker stack
deploy` does: the pure resolution, then the real offerctl's --dry-run
(calling nothing) showing the resolved paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from frameworks.checks import SpecError
from frameworks.service.compose import compose_to_apps
from offer.ctl.compose_binds import resolve_bind_sources

FOLDER = "/srv/project"
HOME = "/home/ann"


def _volumes(volumes: list[object], v1: bool = False) -> list[object]:
    doc = {"web": {"image": "x", "volumes": volumes}}
    if not v1:
        doc = {"services": doc}
    done = resolve_bind_sources(doc, FOLDER, HOME)
    service = done["web"] if v1 else done["services"]["web"]
    return list(service["volumes"])


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("./app:/app", "/srv/project/app:/app"),
        (
            "./proxy/nginx.conf:/etc/nginx/conf.d/default.conf:ro",
            "/srv/project/proxy/nginx.conf:/etc/nginx/conf.d/default.conf:ro",
        ),
        (".:/code", "/srv/project:/code"),
        ("../shared/./x:/x:rw", "/srv/shared/x:/x:rw"),
        ("~/data:/data", "/home/ann/data:/data"),
        ("~:/home", "/home/ann:/home"),
        # Left for the checks that follow: absolute, named, anonymous.
        ("/abs/path:/data", "/abs/path:/data"),
        ("data:/data", "data:/data"),
        ("/data", "/data"),
    ],
)
def test_short_syntax(given: str, resolved: str) -> None:
    assert _volumes([given]) == [resolved]


def test_long_syntax_resolves_a_bind_source_only() -> None:
    given = [
        {"type": "bind", "source": "./site", "target": "/www", "read_only": True},
        {"type": "bind", "source": "conf", "target": "/conf"},
        {"type": "bind", "source": "~/cache", "target": "/cache"},
        {"type": "bind", "source": "/etc/x", "target": "/x"},
        {"type": "volume", "source": "data", "target": "/data"},
    ]
    assert [v["source"] for v in _volumes(given)] == [  # type: ignore[index]
        "/srv/project/site",
        "/srv/project/conf",
        "/home/ann/cache",
        "/etc/x",
        "data",
    ]
    assert _volumes(given)[0] == {  # the other keys kept
        "type": "bind",
        "source": "/srv/project/site",
        "target": "/www",
        "read_only": True,
    }


def test_a_v1_file_is_resolved_too_and_the_document_given_is_not_changed() -> None:
    doc = {"version": "2", "web": {"image": "x", "volumes": ["./a:/a"]}, "volumes": {"d": {}}}
    done = resolve_bind_sources(doc, FOLDER, HOME)
    assert done["web"]["volumes"] == ["/srv/project/a:/a"]
    assert done["volumes"] == {"d": {}}
    assert doc["web"]["volumes"] == ["./a:/a"]


def test_a_home_of_another_user_is_refused_naming_the_entry() -> None:
    with pytest.raises(ValueError) as err:
        _volumes(["/x:/x", "~bob/data:/data"])
    assert str(err.value) == (
        "services.web.volumes[1]: '~bob/data': only ~ (the home of the user running offerctl) "
        "is expanded, not ~bob: give an absolute path"
    )


def test_a_resolved_path_with_a_colon_asks_for_the_long_syntax() -> None:
    doc = {"services": {"web": {"image": "x", "volumes": ["./a:/a"]}}}
    with pytest.raises(ValueError, match="use the long syntax"):
        resolve_bind_sources(doc, "/srv/a:b", HOME)


def test_the_resolved_file_maps_to_host_paths_and_offer_service_refuses_relative_ones() -> None:
    doc = {"services": {"web": {"image": "x", "volumes": ["./site:/www:ro"]}}}
    [app] = compose_to_apps(resolve_bind_sources(doc, FOLDER, HOME))
    assert app["volumes"] == [
        {"host_path": "/srv/project/site", "container_path": "/www", "read_only": True}
    ]
    # Sent to offer-service's API without offerctl: still refused, saying why.
    with pytest.raises(SpecError) as err:
        compose_to_apps(doc)
    assert "bind mount source './site' is relative" in str(err.value)
    assert "`offerctl app deploy` resolves it against the Compose file's folder" in str(err.value)


def _dry_run(
    argument: str, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    # A master nobody listens on: a dry run calls nothing.
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "offer.ctl.cli",
            "--master",
            "127.0.0.1:1",
            "app",
            "deploy",
            argument,
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
        input=stdin,
        env={**os.environ, "HOME": str(cwd / "home"), "PYTHONPATH": str(Path(__file__).parents[2])},
    )


COMPOSE = """
services:
  web:
    image: offer-test/busybox:latest
    volumes:
      - ./site:/www:ro
      - {type: bind, source: ~/cache, target: /cache}
"""


def test_dry_run_shows_paths_resolved_beside_the_file_or_the_working_directory(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text(COMPOSE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    done = _dry_run(str(project / "compose.yaml"), cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    [app] = yaml.safe_load(done.stdout)["apps"]
    assert app["volumes"] == [
        {"container_path": "/www", "host_path": str(project / "site"), "read_only": True},
        {"container_path": "/cache", "host_path": str(elsewhere / "home" / "cache")},
    ]

    # On stdin there is no file's folder: the working directory is used.
    done = _dry_run("-", cwd=elsewhere, stdin=COMPOSE)
    assert done.returncode == 0, done.stderr
    [app] = yaml.safe_load(done.stdout)["apps"]
    assert app["volumes"][0]["host_path"] == str(elsewhere / "site")
