"""Deploy documents: one app, several under `apps:`, or a Docker Compose file."""

from __future__ import annotations

import yaml

from offer.frameworks.service.compose import compose_to_apps, is_compose
from offer.frameworks.service.spec import AppSpec, SpecError, parse_app


def parse_apps(text: str) -> list[AppSpec]:
    """Reads one app, several under `apps:`, or a Docker Compose file.
    Raises SpecError."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise SpecError(f"not valid YAML: {err}") from None
    if is_compose(doc):
        doc = compose_to_apps(doc)
    elif isinstance(doc, dict) and set(doc) == {"apps"}:
        doc = doc["apps"]
    items = doc if isinstance(doc, list) else [doc]
    apps = [parse_app(item, i) for i, item in enumerate(items)]
    ids = [a.id for a in apps]
    if len(set(ids)) != len(ids):
        raise SpecError(f"an app id appears twice: {sorted(ids)}")
    return apps
