"""The Compose test offerctl's steps share (interpolation, env_file, bind
and secret paths, builds): a Compose file is parsed, anything else passed
on as it is. Pure."""

from __future__ import annotations

import pytest

from offer.ctl.compose_document import compose_document
from offer.ctl.compose_file import interpolated
from offer.ctl.image_builder import built_document


@pytest.mark.parametrize(
    "text",
    [
        "apps: [{id: web, image: x}]\n",
        "jobs: [{id: j, image: x}]\n",
        "a: 1\n---\nb: 2\n",  # several documents
        "just text\n",
        "[unclosed\n",
    ],
)
def test_other_documents_are_none_and_pass_through_every_step_unchanged(text: str) -> None:
    assert compose_document(text) is None
    assert interpolated(text, "-", {}) == text
    assert built_document(text, "-", "", {}) == text


def test_a_compose_file_v2_or_v1_is_parsed() -> None:
    assert compose_document("services: {web: {image: x}}\n") == {
        "services": {"web": {"image": "x"}}
    }
    assert compose_document("web: {image: x}\n") == {"web": {"image": "x"}}
