"""Generates Python from protos/ into a folder, as `make protos` does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def generate(out: Path, stubs: bool = True) -> None:
    """Messages and gRPC code from every .proto (and .pyi stubs if `stubs`)."""
    protos = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "protos").rglob("*.proto"))
    outputs = [f"--python_out={out}", f"--grpc_python_out={out}"]
    if stubs:
        outputs.append(f"--pyi_out={out}")
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", "protos", *outputs, *protos],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
