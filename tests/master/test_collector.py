"""The master's garbage-collection policy (master.collector): survivors
of a full collection are frozen, and a sweep still frees cycles among them."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from master.collector import FreezingCollector


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def collector() -> Iterator[FreezingCollector]:
    c = FreezingCollector()
    c.install()
    try:
        yield c
    finally:
        c.uninstall()
        gc.unfreeze()


def test_a_full_collection_freezes_what_survives_it(collector: FreezingCollector) -> None:
    kept = [Node() for _ in range(100)]
    before = gc.get_freeze_count()
    gc.collect()
    assert collector.full_collections == 1
    assert gc.get_freeze_count() >= before + len(kept)
    gc.collect(1)  # a young collection freezes nothing
    assert collector.full_collections == 1


def test_a_sweep_frees_a_cycle_that_died_while_frozen(collector: FreezingCollector) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    gc.collect()  # the pair is alive, so it is frozen
    gone = weakref.ref(a)
    del a, b
    gc.collect()
    assert gone() is not None  # frozen: a full collection no longer sees it
    collector.sweep()
    assert gone() is None
    assert gc.get_freeze_count() > 0  # the survivors are frozen again
