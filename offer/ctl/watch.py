"""Showing a view once, or over and over with --watch: redrawn in place on
a terminal; on a pipe, each refresh printed after a separator (one JSON
document per line with -o json), so that scripts can follow it too."""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from typing import Any

from rich.console import RenderableType
from rich.live import Live

from offer.ctl import render

# A view: the data -o json/yaml prints, and how to draw it for people.
Snapshot = tuple[Any, Callable[[], RenderableType]]

SEPARATOR = "---"


def show(snapshot: Callable[[], Snapshot], args: argparse.Namespace) -> int:
    if not args.watch:
        data, human = snapshot()
        render.emit(data, human, args.output)
        return 0
    refreshes = itertools.count(1) if args.watch_count is None else range(1, args.watch_count + 1)
    console = render.console()
    if args.output in ("table", "wide") and console.is_terminal:
        with Live(console=console, auto_refresh=False) as live:
            for n in refreshes:
                live.update(snapshot()[1](), refresh=True)
                _pause(n, args)
        return 0
    for n in refreshes:
        data, human = snapshot()
        if args.output == "json":
            print(render.dump(data, "json", compact=True), end="", flush=True)
        else:
            if n > 1:
                print(SEPARATOR, flush=True)
            render.emit(data, human, args.output)
        _pause(n, args)
    return 0


def _pause(n: int, args: argparse.Namespace) -> None:
    if args.watch_count is None or n < args.watch_count:
        time.sleep(args.interval)
