"""Compose interpolation and `.env` files, table-tested: pure, no daemons."""

from __future__ import annotations

import pytest

from frameworks.service.compose_interpolation import (
    InterpolationError,
    interpolate,
    parse_dotenv,
)

VARS = {"TAG": "7", "EMPTY": "", "NAME": "web", "PORT": "8080"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("redis:${TAG}", "redis:7"),
        ("redis:$TAG", "redis:7"),
        ("$NAME-$TAG", "web-7"),
        ("${MISSING}", ""),
        ("$MISSING/x", "/x"),
        ("${TAG:-latest}", "7"),
        ("${EMPTY:-latest}", "latest"),
        ("${MISSING:-latest}", "latest"),
        ("${TAG-latest}", "7"),
        ("${EMPTY-latest}", ""),
        ("${MISSING-latest}", "latest"),
        ("${MISSING:-}", ""),
        ("${MISSING:-a b:c}", "a b:c"),
        ("${TAG:?need a tag}", "7"),
        ("${EMPTY?set but empty is fine}", ""),
        ("${TAG:+set}", "set"),
        ("${EMPTY:+set}", ""),
        ("${EMPTY+set}", "set"),
        ("${MISSING+set}", ""),
        ("${MISSING:-${NAME}}", "web"),
        ("${MISSING:-${ALSO_MISSING:-deep}}", "deep"),
        ("$$", "$"),
        ("$$HOME", "$HOME"),
        ("echo $$$$", "echo $$"),
        ("$${TAG}", "${TAG}"),
        ("$$$TAG", "$7"),
        ("costs 5$", "costs 5$"),
        ("a $ b", "a $ b"),
        ("${PORT}:${PORT}", "8080:8080"),
        ("no variables", "no variables"),
    ],
)
def test_a_value_is_interpolated_as_compose_does(text: str, expected: str) -> None:
    assert interpolate(text, VARS).doc == expected


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("${MISSING:?need a tag}", "(top): variable MISSING is not set: need a tag"),
        ("${EMPTY:?need a tag}", "(top): variable EMPTY is empty: need a tag"),
        ("${MISSING?}", "(top): variable MISSING is not set: required"),
        ("${}", "(top): invalid interpolation format: '${}' (a variable name must follow"),
        ("${TAG", "(top): invalid interpolation format: '${TAG' (missing '}')"),
        ("${TAG!x}", "(top): invalid interpolation format: '${TAG!x}' (unexpected '!'"),
        (
            {"services": {"web": {"ports": ["80", "${P:?the port}"]}}},
            "services.web.ports[1]: variable P is not set: the port",
        ),
    ],
)
def test_a_missing_required_variable_or_bad_format_names_the_path(
    doc: object, expected: str
) -> None:
    with pytest.raises(InterpolationError) as caught:
        interpolate(doc, VARS)
    assert str(caught.value).startswith(expected)


def test_values_are_interpolated_at_every_depth_and_keys_are_not() -> None:
    doc = {
        "services": {
            "${NAME}": {"image": "img:${TAG}", "command": ["echo", "$$PATH"], "x": 3, "y": None}
        }
    }
    done = interpolate(doc, VARS)
    assert done.doc == {
        "services": {"${NAME}": {"image": "img:7", "command": ["echo", "$PATH"], "x": 3, "y": None}}
    }
    assert done.unset == []


def test_unset_variables_are_reported_once_each() -> None:
    assert interpolate(["$A", "${A}", "${B}", "${C:-x}"], {}).unset == ["A", "B"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TAG=7\n", {"TAG": "7"}),
        ("# comment\n\nTAG=7\n", {"TAG": "7"}),
        ("export TAG=7", {"TAG": "7"}),
        ("TAG = 7", {"TAG": "7"}),
        ("TAG=", {"TAG": ""}),
        ("TAG=7 # the tag", {"TAG": "7"}),
        ("TAG=a#b", {"TAG": "a#b"}),
        ("MSG='single $quoted # kept'", {"MSG": "single $quoted # kept"}),
        ('MSG="two\\nlines \\"q\\""', {"MSG": 'two\nlines "q"'}),
        ('MSG="a" # after', {"MSG": "a"}),
        ("A=1\nA=2", {"A": "2"}),
    ],
)
def test_dotenv_lines(text: str, expected: dict[str, str]) -> None:
    assert parse_dotenv(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("just words", "line 1: not NAME=value: 'just words'"),
        ("A=1\nB='open", "line 2: unterminated ' quote"),
    ],
)
def test_bad_dotenv_lines_are_refused_with_their_number(text: str, expected: str) -> None:
    with pytest.raises(ValueError, match="^" + expected.replace("(", r"\(")):
        parse_dotenv(text)
