from __future__ import annotations

import pytest

from offer import ranges


def test_normalize_merges_and_sorts() -> None:
    assert ranges.normalize([(5, 9), (1, 3), (4, 4), (20, 19)]) == ((1, 9),)


def test_difference_contains_first() -> None:
    a = ((31000, 31010),)
    assert ranges.difference(a, ((31003, 31004),)) == ((31000, 31002), (31005, 31010))
    assert ranges.contains(a, ((31001, 31002), (31010, 31010)))
    assert not ranges.contains(a, ((31010, 31011),))
    assert ranges.first(((1, 2), (5, 9)), 4) == ((1, 2), (5, 6))
    assert ranges.size(((1, 2), (5, 9))) == 7


def test_parse_and_text() -> None:
    assert ranges.parse("[31000-31005,32000]") == ((31000, 31005), (32000, 32000))
    assert ranges.to_text(((31000, 31005), (32000, 32000))) == "31000-31005,32000"
    with pytest.raises(ValueError):
        ranges.parse("[0-10]")
    with pytest.raises(ValueError):
        ranges.parse("[a-b]")
