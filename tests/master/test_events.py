"""The master's event hub: order, replay, slow watchers, shutdown."""

from __future__ import annotations

import asyncio

from master.events import EventHub, EventKind


def _hub(**sizes: int) -> EventHub:
    return EventHub(clock=lambda: 42.0, **sizes)


async def test_a_watcher_gets_recent_history_then_every_new_event_in_order() -> None:
    hub = _hub()
    for n in range(5):
        hub.publish(EventKind.AGENT_ADDED, f"old {n}", agent_id=f"a{n}")
    with hub.watch(replay=2) as watcher:
        assert [e.message for e in watcher.history] == ["old 3", "old 4"]
        hub.publish(EventKind.FRAMEWORK_SUBSCRIBED, "new 1", framework_id="fw")
        hub.publish(EventKind.AGENT_LOST, "new 2", agent_id="a1")
        first, second = await watcher.next(), await watcher.next()
    assert first is not None and second is not None
    assert [(e.seq, e.kind, e.message) for e in (first, second)] == [
        (6, EventKind.FRAMEWORK_SUBSCRIBED, "new 1"),
        (7, EventKind.AGENT_LOST, "new 2"),
    ]
    assert first.timestamp == 42.0 and first.framework_id == "fw"


async def test_history_is_bounded() -> None:
    hub = _hub(history_size=3)
    for n in range(10):
        hub.publish(EventKind.AGENT_ADDED, str(n))
    with hub.watch(replay=100) as watcher:
        assert [e.message for e in watcher.history] == ["7", "8", "9"]


async def test_a_slow_watcher_loses_its_oldest_events_and_is_told_how_many() -> None:
    hub = _hub(queue_size=3)
    with hub.watch() as slow:
        for n in range(5):
            hub.publish(EventKind.AGENT_ADDED, str(n))  # never blocks
        dropped = await slow.next()
        rest = [await slow.next() for _ in range(3)]
    assert dropped is not None and dropped.kind == EventKind.DROPPED
    assert dropped.message.startswith("2 events were dropped")
    assert [e.message for e in rest if e] == ["2", "3", "4"]


async def test_closing_the_hub_ends_each_stream_after_what_it_queued() -> None:
    hub = _hub()
    with hub.watch() as watcher:
        waiting = asyncio.create_task(watcher.next())
        await asyncio.sleep(0)  # the watcher is now waiting for an event
        hub.publish(EventKind.AGENT_ADDED, "last")
        hub.close()
        last = await waiting
        assert last is not None and last.message == "last"
        assert await watcher.next() is None


async def test_a_finished_watcher_is_forgotten() -> None:
    hub = _hub()
    with hub.watch():
        pass
    hub.publish(EventKind.AGENT_ADDED, "nobody listens")  # nothing queued anywhere
    assert not hub._watchers
