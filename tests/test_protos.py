"""The checked-in generated code must be exactly what `make protos` makes."""

from __future__ import annotations

from pathlib import Path

from tests.support.protos import ROOT, generate


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    generate(tmp_path)
    made = {p.relative_to(tmp_path) for p in tmp_path.rglob("*.py*")}
    checked_in = {p.relative_to(ROOT) for p in (ROOT / "offer" / "v1").glob("*_pb2*.py*")}
    assert made == checked_in, "run `make protos` and commit offer/v1/"
    stale = [str(p) for p in sorted(made) if (tmp_path / p).read_bytes() != (ROOT / p).read_bytes()]
    assert not stale, f"stale generated code: {stale}; run `make protos` and commit offer/v1/"
