"""--wait: follows rollouts and runs until they end, as `kubectl rollout
status` and `nomad job run` do. On a terminal the progress is redrawn in
place; elsewhere (a pipe, a file, CI logs) each change is one line. The
last line says how it ended, and so does the exit code: 0 done, 1 failed or
timed out. A timeout stops offerctl only: the rollout or run goes on."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from rich.console import Group
from rich.live import Live
from rich.text import Text

from offer.ctl import render
from offer.ctl.progress import Outcome, Progress

# Seconds between polls: a rollout's steps take seconds (an image start, a
# health check), and each poll is one small call per app.
POLL_INTERVAL = 0.5


def follow(
    check: Callable[[], list[Progress]], timeout: float | None, interval: float = POLL_INTERVAL
) -> int:
    """Polls `check` (one Progress per thing waited for) until all are done
    (0), one failed (1), or `timeout` seconds passed (1)."""
    started = time.monotonic()
    deadline = None if timeout is None else started + timeout
    console = render.console()
    shown: list[str] = []
    live = (
        Live(console=console, auto_refresh=False, transient=True) if console.is_terminal else None
    )
    try:
        if live is not None:
            live.start()
        while True:
            progress = check()
            now = time.monotonic()
            if live is not None:
                stamp = f" ({now - started:.0f}s)"
                live.update(Group(*(Text(p.line + stamp) for p in progress)), refresh=True)
            else:
                shown = _print_changes(progress, shown)
            failed = [p for p in progress if p.outcome is Outcome.FAILED]
            if failed or all(p.outcome is Outcome.DONE for p in progress):
                break
            if deadline is not None and now >= deadline:
                if live is not None:
                    live.stop()
                    live = None
                print(
                    f"offerctl: timed out after {timeout:g}s: {_going(progress)}", file=sys.stderr
                )
                return 1
            time.sleep(interval if deadline is None else min(interval, deadline - now))
    finally:
        if live is not None:
            live.stop()
    elapsed = time.monotonic() - started
    for p in progress:
        if p.outcome is Outcome.DONE:
            print(f"{p.summary} (after {elapsed:.0f}s)", flush=True)
    for p in failed:
        print(f"offerctl: {p.summary}", file=sys.stderr, flush=True)
    return 1 if failed else 0


def _print_changes(progress: list[Progress], shown: list[str]) -> list[str]:
    """Prints the lines that changed since `shown`; returns what is shown now."""
    now = [p.line for p in progress]
    for i, p in enumerate(progress):
        # An ended one is told by its summary, last.
        if p.outcome is Outcome.GOING and (i >= len(shown) or shown[i] != p.line):
            print(p.line, flush=True)
    return now


def _going(progress: list[Progress]) -> str:
    return "; ".join(p.line for p in progress if p.outcome is not Outcome.DONE)
