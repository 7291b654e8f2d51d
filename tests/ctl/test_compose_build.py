"""The pure part of `offerctl app deploy`'s Compose build (offer/ctl/
compose_build.py): which services build what, the names they are pushed
as, the document rewritten with them; and --dry-run, which builds nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from offer.ctl.compose_build import (
    BuildError,
    BuildSpec,
    Planned,
    build_plan,
    parse_build,
    placeholder,
    project_name,
    pushed_name,
    rewritten,
    split_image,
)

CORPUS = Path(__file__).parents[1] / "data" / "compose"
REGISTRY = "127.0.0.1:5000"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the multi-stage corpus in a folder named `shop`."""
    folder = tmp_path / "shop"
    shutil.copytree(CORPUS / "build-multistage", folder)
    return folder


def _plan(doc: dict[str, Any], folder: Path, registry: str = REGISTRY) -> list[Planned]:
    return build_plan(doc, folder, registry, {}, "shop")


def test_a_string_is_the_context_relative_to_the_files_folder(project: Path) -> None:
    spec = parse_build("app", project, {}, "services.web.build")
    assert spec == BuildSpec(context=project / "app")


def test_a_mapping_gives_dockerfile_args_target_and_labels(project: Path) -> None:
    spec = parse_build(
        {
            "context": "./app",
            "dockerfile": "Dockerfile",
            "target": "final",
            "args": ["GREETING=hi", "FROM_ENV", "UNSET"],
            "labels": {"team": "shop", "on": True},
            "no_cache": True,
        },
        project,
        {"FROM_ENV": "set here"},
        "services.web.build",
    )
    assert spec.target == "final" and spec.no_cache and not spec.pull
    # A name without a value takes offerctl's environment, or is left out.
    assert spec.args == {"GREETING": "hi", "FROM_ENV": "set here"}
    assert spec.labels == {"team": "shop", "on": "true"}


@pytest.mark.parametrize(
    ("build", "said"),
    [
        ({"context": "app", "ssh": ["default"]}, r"services.web.build.ssh: not supported"),
        ({"context": "app", "secrets": ["s"]}, r"services.web.build.secrets: not supported"),
        ({"context": "app", "cache_from": ["x"]}, r"build.cache_from: not supported"),
        ("https://github.com/a/b.git", r"only a local folder can be built"),
        ("nowhere", r"services.web.build: nowhere: no such folder"),
        ({"context": "app", "dockerfile": "Nope"}, r"build.dockerfile: no file .*/app/Nope"),
        ({"context": "app", "no_cache": "yes"}, r"build.no_cache: true or false"),
        ({"context": "app", "args": "A=1"}, r"build.args: a mapping or a list"),
        (["app"], r"services.web.build: a context folder or a mapping"),
    ],
)
def test_what_cannot_be_built_is_refused_by_name(project: Path, build: object, said: str) -> None:
    with pytest.raises(BuildError, match=said):
        _plan({"services": {"web": {"build": build}}}, project)


def test_pushed_as_registry_project_service_and_image_id(project: Path) -> None:
    doc = {"services": {"web": {"build": "app"}, "db": {"image": "redis:7"}}}
    [web] = _plan(doc, project)
    assert (web.service, web.repository, web.image) == ("web", f"{REGISTRY}/shop-web", "")
    name = pushed_name(web, "sha256:" + "ab" * 32)
    assert name == f"{REGISTRY}/shop-web:{'ab' * 32}"
    assert "<image id of the build of app/>" in placeholder(web)


def test_without_a_registry_the_error_says_how_to_give_one(project: Path) -> None:
    with pytest.raises(BuildError) as refused:
        _plan({"services": {"web": {"build": "app"}}}, project, registry="")
    said = str(refused.value)
    assert said.startswith("services.web.build: ")
    assert "--registry HOST:PORT" in said and "OFFER_REGISTRY" in said


def test_a_registry_is_host_and_port_only(project: Path) -> None:
    with pytest.raises(BuildError, match=r"give HOST:PORT .* no scheme or path"):
        _plan({"services": {"web": {"build": "app"}}}, project, registry="http://reg:5000")


def test_image_and_build_push_under_images_name(project: Path) -> None:
    doc = {
        "services": {
            # No registry in image: the cluster's, with image's path.
            "web": {"build": "app", "image": "team/web:1.2"},
            # A registry in image: that one wins over --registry.
            "api": {"build": "app", "image": "reg.example:5000/team/api:latest"},
        }
    }
    web, api = _plan(doc, project)
    assert (web.repository, web.image) == (f"{REGISTRY}/team/web", "team/web:1.2")
    assert api.repository == "reg.example:5000/team/api"
    # Tagged by content all the same: a moving tag would look unchanged.
    assert pushed_name(api, "sha256:00ff").endswith("/team/api:00ff")


def test_a_name_docker_cannot_take_is_refused(project: Path) -> None:
    with pytest.raises(BuildError, match=r"services.web.build: 'Team/web' is not a valid"):
        _plan({"services": {"web": {"build": "app", "image": "Team/web"}}}, project)
    with pytest.raises(BuildError, match=r"'shop-a..b' is not a valid repository name"):
        _plan({"services": {"a..b": {"build": "app"}}}, project)


@pytest.mark.parametrize(
    ("image", "split"),
    [
        ("redis:7", ("", "redis")),
        ("team/web", ("", "team/web")),
        ("localhost/web:1", ("localhost", "web")),
        ("10.0.0.5:5000/team/web:1@sha256:ab", ("10.0.0.5:5000", "team/web")),
        ("reg.example/web", ("reg.example", "web")),
    ],
)
def test_split_image(image: str, split: tuple[str, str]) -> None:
    assert split_image(image) == split


def test_project_name_is_compose_project_name_or_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "My Shop.2"
    folder.mkdir()
    file = str(folder / "compose.yaml")
    assert project_name(file, {}) == "myshop2"
    assert project_name(file, {"COMPOSE_PROJECT_NAME": "Other"}) == "other"


def test_rewritten_puts_image_in_place_of_build_v1_and_v2() -> None:
    v2 = {"services": {"web": {"build": ".", "ports": ["80"]}, "db": {"image": "redis"}}}
    assert rewritten(v2, {"web": "r/web:1"}) == {
        "services": {"web": {"ports": ["80"], "image": "r/web:1"}, "db": {"image": "redis"}}
    }
    v1 = {"web": {"build": ".", "image": "mine"}}
    assert rewritten(v1, {"web": "r/web:1"}) == {"web": {"image": "r/web:1"}}


def _offerctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offer.ctl.cli", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2])},
    )


def test_dry_run_builds_nothing_and_shows_a_placeholder(project: Path) -> None:
    done = _offerctl(
        "app", "deploy", "compose.yaml", "--dry-run", "--registry", REGISTRY, cwd=project
    )
    assert done.returncode == 0, done.stderr
    [app] = yaml.safe_load(done.stdout)["apps"]
    assert app["image"] == f"{REGISTRY}/shop-web:<image id of the build of app/>"
    assert f"web: would build {project / 'app'}" in done.stderr
    assert "Step" not in done.stderr


def test_dry_run_without_a_registry_fails_as_the_deploy_would(project: Path) -> None:
    done = _offerctl("app", "deploy", "compose.yaml", "--dry-run", cwd=project)
    assert done.returncode == 1
    assert "services.web.build: offerctl builds it" in done.stderr
    assert "--registry HOST:PORT" in done.stderr


def test_the_registry_comes_from_offer_registry_too(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "offer.ctl.cli", "app", "deploy", "compose.yaml", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=project,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(Path(__file__).parents[2]),
            "OFFER_REGISTRY": "10.0.0.5:5000",
        },
    )
    assert done.returncode == 0, done.stderr
    assert "image: 10.0.0.5:5000/shop-web:" in done.stdout


def test_deploy_help_names_the_registry_flag() -> None:
    done = _offerctl("app", "deploy", "--help", cwd=Path.cwd())
    assert "--registry HOST:PORT" in done.stdout and "OFFER_REGISTRY" in done.stdout
