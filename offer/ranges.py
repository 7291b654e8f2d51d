"""Sets of integers kept as sorted, disjoint, inclusive ranges (port ranges).

Pure functions over tuples so that Resources stays immutable and hashable.
"""

from __future__ import annotations

from collections.abc import Iterable

Ranges = tuple[tuple[int, int], ...]


def normalize(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Sorted, merged (touching ranges join), empty ranges dropped."""
    merged: list[list[int]] = []
    for begin, end in sorted(r for r in ranges if r[0] <= r[1]):
        if merged and begin <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return tuple((b, e) for b, e in merged)


def union(a: Ranges, b: Ranges) -> Ranges:
    return normalize((*a, *b))


def difference(a: Ranges, b: Ranges) -> Ranges:
    """Everything in `a` that is not in `b`."""
    out: list[tuple[int, int]] = []
    for begin, end in a:
        pieces = [(begin, end)]
        for cut_begin, cut_end in b:
            next_pieces = []
            for pb, pe in pieces:
                if cut_end < pb or cut_begin > pe:
                    next_pieces.append((pb, pe))
                    continue
                if pb < cut_begin:
                    next_pieces.append((pb, cut_begin - 1))
                if cut_end < pe:
                    next_pieces.append((cut_end + 1, pe))
            pieces = next_pieces
        out += pieces
    return normalize(out)


def contains(a: Ranges, b: Ranges) -> bool:
    """True when every number in `b` is in `a`."""
    return not difference(b, a)


def size(a: Ranges) -> int:
    return sum(e - b + 1 for b, e in a)


def first(a: Ranges, count: int) -> Ranges:
    """The lowest `count` numbers of `a` (fewer if `a` is smaller)."""
    picked: list[tuple[int, int]] = []
    for begin, end in a:
        if count <= 0:
            break
        take = min(count, end - begin + 1)
        picked.append((begin, begin + take - 1))
        count -= take
    return tuple(picked)


def to_text(a: Ranges) -> str:
    return ",".join(str(b) if b == e else f"{b}-{e}" for b, e in a)


def parse(text: str) -> Ranges:
    """Reads "[31000-32000,33000]" (brackets optional). Raises ValueError."""
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    ranges = []
    for part in filter(None, (p.strip() for p in body.split(","))):
        low, sep, high = part.partition("-")
        begin, end = int(low), int(high) if sep else int(low)
        if not 0 < begin <= end <= 65535:
            raise ValueError(f"'{part}' is not a port range within 1-65535")
        ranges.append((begin, end))
    return normalize(ranges)
