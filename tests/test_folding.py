"""Folding queued stream messages into fewer (offer.folding) and the outbox
that hands a sender everything queued at once (offer.outbox)."""

from __future__ import annotations

import asyncio

from offer import folding
from offer.folding import fold
from offer.outbox import Outbox
from offer.v1 import agent_pb2 as pb
from offer.v1 import common_pb2 as common

LISTS = {"launch_task": "tasks", "status_update_ack": "uuids"}


def launch(framework_id: str, *task_ids: str) -> pb.MasterMessage:
    tasks = [common.TaskInfo(task_id=t) for t in task_ids]
    return pb.MasterMessage(launch_task=pb.LaunchTask(framework_id=framework_id, tasks=tasks))


def ack(*uuids: str) -> pb.MasterMessage:
    return pb.MasterMessage(status_update_ack=pb.StatusUpdateAck(uuids=uuids))


def kill(task_id: str) -> pb.MasterMessage:
    return pb.MasterMessage(kill_task=pb.KillTask(framework_id="f", task_id=task_id))


def test_runs_of_a_kind_become_one_message_in_order() -> None:
    folded = fold(
        [ack("u1"), ack("u2", "u3"), launch("f", "t1"), launch("f", "t2")], "message", LISTS
    )
    assert folded == [ack("u1", "u2", "u3"), launch("f", "t1", "t2")]


def test_other_fields_must_match() -> None:
    folded = fold([launch("f", "t1"), launch("g", "t2"), launch("g", "t3")], "message", LISTS)
    assert folded == [launch("f", "t1"), launch("g", "t2", "t3")]


def test_a_message_of_another_kind_ends_a_run() -> None:
    # A kill between two launches must stay between them.
    folded = fold(
        [launch("f", "t1"), kill("t1"), launch("f", "t2"), kill("x"), kill("y")], "message", LISTS
    )
    assert folded == [launch("f", "t1"), kill("t1"), launch("f", "t2"), kill("x"), kill("y")]


def test_a_folded_message_keeps_within_the_bounds() -> None:
    many = [ack(f"u{i}") for i in range(folding.MAX_ITEMS + 5)]
    folded = fold(many, "message", LISTS)
    assert [len(m.status_update_ack.uuids) for m in folded] == [folding.MAX_ITEMS, 5]
    big = "x" * (folding.MAX_BYTES // 3)
    folded = fold([ack(big), ack(big), ack(big), ack(big)], "message", LISTS)
    assert [len(m.status_update_ack.uuids) for m in folded] == [2, 2]
    assert all(m.ByteSize() <= folding.MAX_BYTES + 100 for m in folded)


def test_outbox_hands_over_what_queued_then_ends_after_close() -> None:
    async def scenario() -> list[list[int]]:
        outbox: Outbox[int] = Outbox()
        seen: list[list[int]] = []

        async def read() -> None:
            async for batch in outbox.batches():
                seen.append(batch)

        reader = asyncio.create_task(read())
        outbox.send(1)
        await asyncio.sleep(0)  # the reader takes 1 alone
        outbox.send(2)
        outbox.send(3)
        outbox.close()
        outbox.send(4)  # after close: dropped
        await reader
        return seen

    assert asyncio.run(scenario()) == [[1], [2, 3]]


def test_a_spaced_outbox_sends_the_first_at_once_and_gathers_a_burst() -> None:
    async def scenario() -> None:
        outbox: Outbox[int] = Outbox(spacing=0.2)
        got: asyncio.Queue[list[int]] = asyncio.Queue()

        async def read() -> None:
            async for batch in outbox.batches():
                got.put_nowait(batch)

        async def settle() -> None:  # lets the reader take whatever it may
            for _ in range(5):
                await asyncio.sleep(0)

        reader = asyncio.create_task(read())
        outbox.send(1)
        await settle()
        assert got.get_nowait() == [1]
        outbox.send(2)
        await settle()
        outbox.send(3)
        await settle()
        assert got.empty()  # 2 and 3 wait out the spacing, together
        assert await got.get() == [2, 3]
        await asyncio.sleep(0.25)  # a quiet spell: the next goes at once
        outbox.send(4)
        await settle()
        assert got.get_nowait() == [4]
        outbox.close()
        await reader

    asyncio.run(scenario())


def test_an_urgent_item_ends_the_wait_of_a_spaced_outbox() -> None:
    async def scenario() -> None:
        outbox: Outbox[int] = Outbox(spacing=60, urgent=lambda item: item < 0)
        got: asyncio.Queue[list[int]] = asyncio.Queue()

        async def read() -> None:
            async for batch in outbox.batches():
                got.put_nowait(batch)

        reader = asyncio.create_task(read())
        outbox.send(1)
        assert await got.get() == [1]
        outbox.send(2)  # waits: the last batch went a moment ago
        await asyncio.sleep(0)
        outbox.send(-3)  # takes 2 along, long before the minute is up
        assert await got.get() == [2, -3]
        outbox.send(4)
        outbox.close()  # what is queued goes at once, then the stream ends
        await reader
        assert got.get_nowait() == [4]

    asyncio.run(scenario())
