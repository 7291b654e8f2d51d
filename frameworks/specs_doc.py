"""Writes docs/specs.md from the spec schemas, so that the page lists every
field as the frameworks check it. tests/frameworks/test_specs_doc.py fails
when the page is stale.

    python -m frameworks.specs_doc > docs/specs.md
"""

from __future__ import annotations

import json
from typing import Any

from frameworks.batch.spec import job_schemas
from frameworks.service.compose import ComposeFile
from frameworks.service.documents import app_schemas
from offer.ctl.explain import every_field, limits_text, type_text

_INTRO = """\
# App and job specs

<!-- Made by `python -m frameworks.specs_doc > docs/specs.md`; do not edit. -->

Every field offer-service (`offerctl app deploy`) and offer-batch (`offerctl
job submit`) accept, from the schema they check specs against. A spec is
checked whole when it is sent: types are strict (`cpus: "1"` is not a
number, `labels: {a: 1}` is not a string: quote it), and a key the schema
does not know is refused at any depth, naming its path and the key it was
probably meant to be:

    app 'web': health_check.intervalSeconds: unknown field; did you mean 'interval_seconds'?
    app 'web': health_check.interval_seconds: not a number: 'fast'

`offerctl app explain [FIELD]` and `offerctl job explain [FIELD]` say the
same from the running framework (`offerctl app explain health_check`);
`offerctl app schema` and `offerctl job schema` print the JSON Schema of a
whole document, for editors.
"""


def _table(title: str, text: str, schema: dict[str, Any]) -> str:
    rows = [
        f"## {title}",
        "",
        text,
        "",
        "| field | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for field in every_field(schema, schema):
        default = "required" if field.required else (f"`{field.default}`" if field.default else "")
        limits = limits_text(field.schema)
        meaning = (field.description + (f" ({limits})" if limits else "")).replace("|", "\\|")
        kind = type_text(schema, field.schema).replace("|", "or")
        rows.append(f"| `{field.path}` | {kind} | {default} | {meaning} |")
    return "\n".join(rows) + "\n"


def render() -> str:
    app = json.loads(app_schemas()[0])
    job = json.loads(job_schemas()[0])
    compose = ComposeFile.model_json_schema()
    return "\n".join(
        [
            _INTRO,
            _table(
                "Apps (offer-service)",
                "One app per document, or several under `apps:`.",
                app,
            ),
            _table(
                "Docker Compose files (offer-service)",
                "Each service becomes an app of the same name. Services may also stand at "
                "the top of the file (Compose v1). What a service gives is then checked as "
                "an app: `deploy.resources.limits` become its `cpus` and `mem`.",
                compose,
            ),
            _table(
                "Jobs (offer-batch)",
                "One job per document, or several under `jobs:`.",
                job,
            ),
        ]
    )


if __name__ == "__main__":
    print(render(), end="")
