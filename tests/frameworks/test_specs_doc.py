"""docs/specs.md is made from the spec schemas, and `offerctl app explain`
reads the same schemas: both say what the frameworks check. Pure."""

from __future__ import annotations

import json
from pathlib import Path

from frameworks.batch.spec import job_schemas
from frameworks.service.documents import app_schemas
from frameworks.specs_doc import render
from offer.ctl.explain import Field, describe, every_field, find

DOC = Path(__file__).parent.parent.parent / "docs" / "specs.md"


def test_docs_specs_md_is_made_from_the_schemas() -> None:
    assert DOC.read_text() == render(), (
        "docs/specs.md is stale: python -m frameworks.specs_doc > docs/specs.md"
    )


def test_every_field_has_a_meaning() -> None:
    for schemas in (app_schemas(), job_schemas()):
        spec = json.loads(schemas[0])
        missing = [f.path for f in every_field(spec, spec) if not f.description]
        assert missing == []


def test_explain_a_nested_field_says_its_type_default_limits_and_meaning() -> None:
    spec = json.loads(app_schemas()[0])
    found = find(spec, "health_check.interval_seconds")
    assert isinstance(found, Field)
    assert describe("app", spec, found).splitlines() == [
        "KIND:     app",
        "FIELD:    health_check.interval_seconds",
        "TYPE:     number",
        "DEFAULT:  10.0",
        "LIMITS:   > 0",
        "",
        "DESCRIPTION:",
        "    Seconds between checks.",
    ]


def test_explain_an_object_lists_its_fields() -> None:
    spec = json.loads(app_schemas()[0])
    found = find(spec, "health_check")
    assert isinstance(found, Field)
    text = describe("app", spec, found)
    assert "  protocol  <one of command, tcp, http>  -required-" in text
    assert "  interval_seconds  <number>  default 10.0" in text
    whole = find(spec, "")
    assert isinstance(whole, Field)
    assert "  health_check  <object>  default none" in describe("app", spec, whole)


def test_explain_names_a_field_that_is_not_there() -> None:
    spec = json.loads(job_schemas()[0])
    assert find(spec, "retry") == "it has no field 'retry'; did you mean 'retries'?"
    assert find(spec, "cpus.max") == "cpus has no fields (it is number)"


def test_the_document_schema_takes_one_spec_a_list_or_compose() -> None:
    document = json.loads(app_schemas()[1])
    refs = {option["$ref"].rsplit("/", 1)[-1] for option in document["anyOf"]}
    assert refs == {"AppSpec", "AppList", "ComposeFile"}
    assert document["$defs"]["HealthCheckSpec"]["additionalProperties"] is False
