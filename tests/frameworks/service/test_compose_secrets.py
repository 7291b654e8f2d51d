"""Compose file-based secrets as read-only bind mounts at /run/secrets,
as `docker compose up` mounts them: offerctl resolves the file beside the
Compose file, offer-service maps it and refuses what it cannot honour.
Pure: no processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from frameworks.checks import SpecError
from frameworks.service.compose import compose_to_apps
from frameworks.service.documents import parse_apps
from offer.ctl.compose_binds import resolve_bind_sources
from offer.tasks import Volume

CORPUS = Path(__file__).parents[2] / "data" / "compose" / "secrets"


def _resolved() -> dict[str, Any]:
    import yaml

    doc = yaml.safe_load((CORPUS / "compose.yaml").read_text())
    return resolve_bind_sources(doc, str(CORPUS), "/home/ann")


def test_each_secret_is_a_read_only_bind_of_its_file_under_run_secrets() -> None:
    [db] = compose_to_apps(_resolved())
    password = str(CORPUS / "db" / "password.txt")
    assert db["volumes"] == [
        {"host_path": password, "container_path": "/run/secrets/db-password", "read_only": True},
        {"host_path": password, "container_path": "/run/secrets/key.txt", "read_only": True},
        {"host_path": password, "container_path": "/etc/api/key", "read_only": True},
    ]
    # The _FILE variable the image reads names the path the secret is at.
    assert db["env"]["MYSQL_ROOT_PASSWORD_FILE"] == "/run/secrets/db-password"


def test_the_task_carries_them_as_host_mounts_so_the_grant_applies() -> None:
    import yaml

    [db] = parse_apps(yaml.safe_dump(_resolved()))
    task = db.task("db.1")
    assert Volume(str(CORPUS / "db" / "password.txt"), "/run/secrets/db-password", True) in (
        task.volumes
    )


def _refusal(doc: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as err:
        compose_to_apps(doc)
    return str(err.value)


def _doc(service: list[Any], top: dict[str, Any] | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"services": {"web": {"image": "x", "secrets": service}}}
    if top is not None:
        doc["secrets"] = top
    return doc


@pytest.mark.parametrize(
    ("service", "top", "message"),
    [
        (["s"], {"s": {"external": True}}, "secrets.s.external: not supported: a secret made"),
        (["s"], {"s": {"environment": "PW"}}, "secrets.s.environment: not supported"),
        (["s"], {"s": {"file": "pw.txt"}}, "secrets.s.file: 'pw.txt' is relative"),
        (["t"], {"s": {"file": "/pw"}}, "services.web.secrets[0]: secret 't' is not declared"),
        (["s"], None, "services.web.secrets[0]: secret 's' is not declared"),
        ([{"source": "s", "uid": "1000"}], {"s": {"file": "/pw"}}, "secrets[0].uid: not supp"),
        ([{"source": "s", "gid": "5"}], {"s": {"file": "/pw"}}, "secrets[0].gid: not supported"),
        ([{"source": "s", "mode": 0o400}], {"s": {"file": "/pw"}}, "secrets[0].mode: not sup"),
    ],
)
def test_what_cannot_be_honoured_is_refused_by_name(
    service: list[Any], top: dict[str, Any] | None, message: str
) -> None:
    assert message in _refusal(_doc(service, top))


def test_the_environment_refusal_says_what_to_do_instead() -> None:
    message = _refusal(_doc(["s"], {"s": {"environment": "PW"}}))
    assert "write the value to a file on every agent's host and give `file:`" in message


def test_defaults_spelled_out_are_accepted() -> None:
    doc = _doc([{"source": "s", "uid": "0", "gid": "0", "mode": 0o444}], {"s": {"file": "/pw"}})
    [web] = compose_to_apps(doc)
    assert web["volumes"] == [
        {"host_path": "/pw", "container_path": "/run/secrets/s", "read_only": True}
    ]


def test_a_secret_and_a_volume_at_one_path_are_refused() -> None:
    doc = _doc(["s"], {"s": {"file": "/pw"}})
    doc["services"]["web"]["volumes"] = ["/srv/x:/run/secrets/s"]
    with pytest.raises(SpecError, match="'/run/secrets/s' is mounted twice"):
        parse_apps(__import__("yaml").safe_dump(doc))


def test_a_v1_file_has_no_secrets_to_name() -> None:
    with pytest.raises(SpecError, match="a Compose v1 file declares no secrets"):
        compose_to_apps({"web": {"image": "x", "secrets": ["s"]}})


def test_offerctl_resolves_the_file_against_the_compose_files_folder() -> None:
    doc = {
        "services": {"web": {"image": "x"}},
        "secrets": {"a": {"file": "pw"}, "b": {"file": "~/pw"}, "c": {"file": "/abs"}},
    }
    done = resolve_bind_sources(doc, "/srv/project", "/home/ann")
    assert done["secrets"] == {
        "a": {"file": "/srv/project/pw"},
        "b": {"file": "/home/ann/pw"},
        "c": {"file": "/abs"},
    }
    assert doc["secrets"]["a"] == {"file": "pw"}  # the document given is not changed
