"""Deploy documents: one app, several under `apps:`, or a Docker Compose file."""

from __future__ import annotations

from frameworks.checks import check_unique, listed, load_document
from frameworks.service.compose import compose_to_apps, is_compose
from frameworks.service.spec import AppSpec, parse_app


def parse_apps(text: str) -> list[AppSpec]:
    """Reads one app, several under `apps:`, or a Docker Compose file.
    Raises SpecError."""
    doc = load_document(text)
    items = compose_to_apps(doc) if is_compose(doc) else listed(doc, "apps")
    apps = [parse_app(item, i) for i, item in enumerate(items)]
    check_unique([a.id for a in apps], "an app id")
    return apps
