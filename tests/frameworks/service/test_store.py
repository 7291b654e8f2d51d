"""offer-service's own store against a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from frameworks.service.spec import AppSpec
from frameworks.service.store import AppRecord, InstanceRecord, ServiceStore


def test_state_survives_a_reopen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = ServiceStore(url)
    app = AppRecord(AppSpec(id="web", image="img", instances=3, ports=[80]), nonce=2)
    store.save_framework_id("fw-1")
    store.save_app(app)
    store.save_instances(
        InstanceRecord("web.1", "web", app.version, 5.0, host_ports=[31000], address="10.0.0.5")
    )
    framework_id, apps, instances = ServiceStore(url).load()
    assert framework_id == "fw-1"
    assert [(a.spec, a.nonce) for a in apps] == [(app.spec, 2)]
    assert [(i.task_id, i.version, i.host_ports, i.address) for i in instances] == [
        ("web.1", app.version, [31000], "10.0.0.5")
    ]


def test_a_new_framework_id_replaces_the_saved_one(tmp_path: Path) -> None:
    """The id goes through the SDK's FrameworkState: an upsert of the meta row."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert ServiceStore(url).load()[0] == ""
    ServiceStore(url).save_framework_id("fw-1")
    ServiceStore(url).save_framework_id("fw-2")
    assert ServiceStore(url).load()[0] == "fw-2"
