"""Compose's top-level `name:`, the project name: accepted, and in
Compose's order (COMPOSE_PROJECT_NAME, then `name:`, then the folder's
name) it names the images offerctl builds and is COMPOSE_PROJECT_NAME for
interpolation. Pure, then the real offerctl's --dry-run (calling and
building nothing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from frameworks.service.compose import compose_to_apps
from offer.ctl.compose_build import project_name

REGISTRY = "127.0.0.1:5999"
COMPOSE = """
name: shop-2
services:
  web:
    build: app
    environment:
      PROJECT: ${COMPOSE_PROJECT_NAME}
"""


def test_the_order_is_the_variable_then_name_then_the_folder(tmp_path: Path) -> None:
    file = str(tmp_path / "folder" / "compose.yaml")
    assert project_name(file, {}) == "folder"
    assert project_name(file, {}, "Shop_2") == "shop_2"
    assert project_name(file, {"COMPOSE_PROJECT_NAME": "env"}, "Shop_2") == "env"
    assert project_name(file, {}, None) == "folder"


def test_offer_service_accepts_the_name_and_ignores_it() -> None:
    [web] = compose_to_apps({"name": "shop", "services": {"web": {"image": "x"}}})
    assert web["id"] == "web"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "folder"
    (folder / "app").mkdir(parents=True)
    (folder / "app" / "Dockerfile").write_text("FROM offer-test/busybox:latest\n")
    (folder / "compose.yaml").write_text(COMPOSE)
    return folder


def _dry_run(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offer.ctl.cli", "app", "deploy", "compose.yaml", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=project,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(Path(__file__).parents[2]),
            "OFFER_REGISTRY": REGISTRY,
            **env,
        },
    )


@pytest.mark.parametrize(
    ("env", "project_name_used"),
    [({}, "shop-2"), ({"COMPOSE_PROJECT_NAME": "fromenv"}, "fromenv")],
)
def test_dry_run_names_the_image_and_interpolates_after_the_project(
    project: Path, env: dict[str, str], project_name_used: str
) -> None:
    done = _dry_run(project, **env)
    assert done.returncode == 0, done.stderr
    [web] = yaml.safe_load(done.stdout)["apps"]
    assert web["image"].startswith(f"{REGISTRY}/{project_name_used}-web:")
    assert web["env"]["PROJECT"] == project_name_used
