"""The one test offerctl's Compose steps share: is this deploy document
a Compose file? Pure: no I/O."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["compose_document"]


def compose_document(text: str) -> dict[str, Any] | None:
    """The parsed Compose file `text` holds, or None when it is another
    deploy document (an apps or jobs list, several YAML documents, or not
    YAML at all: those are parsed and refused by the steps that read
    them), which the Compose steps then pass on unchanged."""
    from frameworks.service.compose import is_compose

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None  # several documents: not a Compose file
    return doc if is_compose(doc) else None
