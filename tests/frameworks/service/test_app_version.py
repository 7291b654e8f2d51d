"""An app's version across upgrades: a spec stored before a field existed
and the same spec deployed again have one version, so an upgrade of
offer-service followed by the same `offerctl app deploy` rolls nothing."""

from __future__ import annotations

from frameworks.service.spec import ADDED_FIELDS, AppSpec

# AppSpec's fields when versions were first kept, and those that are no
# part of a version (how many instances, where they go, the deadline).
FIRST_FIELDS = {
    "id", "image", "cmd", "instances", "cpus", "mem", "env", "ports", "constraints",
    "health_check", "backoff_seconds", "backoff_factor", "max_launch_delay_seconds",
    "minimum_health_capacity", "maximum_over_capacity", "kill_grace_seconds", "depends_on",
    "links", "labels",
}  # fmt: skip
NOT_IN_VERSIONS = {"placement", "spread_by", "upgrade_deadline_seconds"}


def test_every_field_added_since_is_known_as_added() -> None:
    unknown = set(AppSpec.model_fields) - FIRST_FIELDS - NOT_IN_VERSIONS - set(ADDED_FIELDS)
    assert not unknown, (
        f"AppSpec fields {sorted(unknown)} are new: add them to ADDED_FIELDS in "
        "frameworks/service/spec.py (or to FIRST_FIELDS here if they are old)"
    )


def test_a_spec_stored_before_the_added_fields_keeps_its_version() -> None:
    document = {"id": "web", "image": "img", "cmd": "serve", "instances": 2}
    fresh = AppSpec.model_validate(document)
    old_fields = {k: v for k, v in fresh.model_dump(mode="json").items() if k in FIRST_FIELDS}
    stored = AppSpec.from_stored(old_fields, "web")
    assert stored.version == fresh.version
    # A value other than the default is a new version.
    assert AppSpec.model_validate({**document, "user": "nobody"}).version != fresh.version
