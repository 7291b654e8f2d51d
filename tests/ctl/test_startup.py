"""offerctl starts fast because it imports what a command needs only when
the command runs: checked by what a fresh interpreter has imported (see
bench/report.py for the times themselves)."""

from __future__ import annotations

import json
import subprocess
import sys

_HEAVY = ("grpc", "rich", "yaml", "offer.v1.operator_pb2", "offer.v1.service_pb2")


def _imported_by(*argv: str) -> tuple[str, set[str]]:
    """What `offerctl ARGV` printed, and which of the heavy modules it imported."""
    probe = (
        "import io, json, sys, contextlib\n"
        "from offer.ctl.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(out):\n"
        f"    main({list(argv)!r})\n"
        f"print(json.dumps([out.getvalue(), [m for m in {_HEAVY!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True
    )
    printed, heavy = json.loads(done.stdout)
    return printed, set(heavy)


def test_version_imports_neither_grpc_nor_rich_nor_protos() -> None:
    printed, heavy = _imported_by("--version")
    assert printed.startswith("offerctl ")
    assert heavy == set()


def test_help_imports_no_rich_and_no_protos() -> None:
    # grpc still comes in, with the security flags (offer/security/client.py).
    printed, heavy = _imported_by("--help")
    assert "examples:" in printed
    assert heavy <= {"grpc"}
