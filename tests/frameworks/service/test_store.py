"""offer-service's own store on SQLite and PostgreSQL (the db_url fixture)."""

from __future__ import annotations

from frameworks.service.spec import AppSpec
from frameworks.service.store import AppRecord, InstanceRecord, ServiceStore


def test_state_survives_a_reopen(db_url: str) -> None:
    url = db_url
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


def test_a_new_framework_id_replaces_the_saved_one(db_url: str) -> None:
    """The id goes through the SDK's FrameworkState: an upsert of the meta row."""
    url = db_url
    assert ServiceStore(url).load()[0] == ""
    ServiceStore(url).save_framework_id("fw-1")
    ServiceStore(url).save_framework_id("fw-2")
    assert ServiceStore(url).load()[0] == "fw-2"
