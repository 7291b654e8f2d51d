"""Folds a run of stream messages into fewer: what a sender found queued
together goes out as one message where the protocol has a list for it
(a master's acknowledgements to an agent, an agent's status updates, a
framework's updates). Each gRPC message costs a round of the event loop on
both ends, which is what a busy master runs out of first."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import TypeVar

from google.protobuf.message import Message

from offer.outbox import Outbox

M = TypeVar("M", bound=Message)
T = TypeVar("T")

# What an agent folds: its status updates.
AGENT_LISTS = {"status_update": "statuses"}

# A folded message stays well inside what a receiver accepts: the servers'
# bound on a list (offer.security.limits.MAX_ITEMS) and the 16 MiB gRPC
# message limit, whatever the size of each item.
MAX_ITEMS = 1000
MAX_BYTES = 4 * 1024 * 1024


def fold(messages: Iterable[M], oneof: str, lists: Mapping[str, str]) -> list[M]:
    """`messages` in order, where a message whose `oneof` holds a kind named
    in `lists` joins the one before it if that holds the same kind with the
    same other fields: the later one's list (the repeated field `lists`
    names) is appended to the earlier one's, up to MAX_ITEMS items and
    MAX_BYTES. Order within and across kinds is kept."""
    folded: list[M] = []
    last_kind, last_body, last_rest = "", None, None
    items = size = 0
    for message in messages:
        kind = message.WhichOneof(oneof) or ""
        field = lists.get(kind)
        if field is None:
            folded.append(message)
            last_kind = ""
            continue
        body = getattr(message, kind)
        rest = [(f.name, v) for f, v in body.ListFields() if f.name != field]
        more, more_size = len(getattr(body, field)), body.ByteSize()
        if (
            kind == last_kind
            and rest == last_rest
            and items + more <= MAX_ITEMS
            and size + more_size <= MAX_BYTES
        ):
            getattr(last_body, field).extend(getattr(body, field))
            items, size = items + more, size + more_size
            continue
        folded.append(message)
        last_kind, last_body, last_rest = kind, body, rest
        items, size = more, more_size
    return folded


async def folded(
    outbox: Outbox[T], to_message: Callable[[T], M], oneof: str, lists: Mapping[str, str]
) -> AsyncIterator[M]:
    """A stream's messages: each time, everything its outbox had queued,
    made into messages and folded (see `fold`)."""
    async for batch in outbox.batches():
        for message in fold(map(to_message, batch), oneof, lists):
            yield message


def same(message: M) -> M:
    """`to_message` for an outbox that already holds messages."""
    return message
