"""Acknowledgements in bursts: updates read together go out in one call."""

from __future__ import annotations

import asyncio

from frameworks.sdk.acks import AckBatcher


async def test_a_burst_is_one_call_and_a_failed_call_is_not_fatal() -> None:
    sent: list[list[str]] = []
    failing = True

    async def send(uuids: list[str]) -> None:
        sent.append(uuids)
        if failing:
            raise ConnectionError("master away")

    acks = AckBatcher(send)
    for uuid in ("a", "b", "c"):
        acks.add(uuid)
    await acks.close()
    assert sent == [["a", "b", "c"]]  # one call, and its failure was only logged
    failing = False
    acks.add("d")
    await asyncio.sleep(0)
    acks.add("e")  # while the first is being sent
    await acks.close()
    assert sent[1:] == [["d"], ["e"]] or sent[1:] == [["d", "e"]]
