"""Deploy documents: one app, several under `apps:`, or a Docker Compose file."""

from __future__ import annotations

import functools

from pydantic import Field

from frameworks.checks import check_unique, listed, load_document
from frameworks.schema import SpecModel, json_schemas
from frameworks.service.compose import ComposeFile, compose_to_apps, is_compose
from frameworks.service.spec import AppSpec, parse_app


class AppList(SpecModel):
    """Several apps in one document."""

    apps: list[AppSpec] = Field(description="The apps, each as one app spec.")


def parse_apps(text: str) -> list[AppSpec]:
    """Reads one app, several under `apps:`, or a Docker Compose file.
    Raises SpecError."""
    doc = load_document(text)
    items = compose_to_apps(doc) if is_compose(doc) else listed(doc, "apps")
    apps = [parse_app(item, i) for i, item in enumerate(items)]
    check_unique([a.id for a in apps], "an app id")
    return apps


@functools.cache
def app_schemas() -> tuple[str, str]:
    """JSON Schemas of one app spec and of a deploy document (one app,
    `apps:`, or a Compose file with `services:`)."""
    return json_schemas(AppSpec, AppSpec | AppList | ComposeFile)
