"""How offerctl shows things: tables for people (colour only on a terminal),
JSON and YAML for scripts. Tables are rendered from the same dicts that
`-o json` prints, so what a person sees and what a script reads never
disagree."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from offer.ctl.cells import COLUMNS, Row

# Terminal colours of states and statuses; plain text elsewhere.
STYLES = {
    "RUNNING": "green",
    "FINISHED": "green",
    "active": "green",
    "FAILED": "red",
    "ERROR": "red",
    "LOST": "red",
    "lost": "red",
    "KILLED": "yellow",
    "KILLING": "yellow",
    "draining": "yellow",
    "disconnected": "yellow",
    "engine unavailable": "red",
    "removed": "dim",
}


def _cell(title: str, value: str) -> Text:
    # Text, not a str: rich would read "[...]" in a message as markup.
    return Text(value, style=STYLES.get(value, "") if title in ("STATE", "STATUS") else "")


def table(kind: str, rows: Sequence[Row], wide: bool = False) -> RenderableType:
    if not rows:
        return Text(f"No {kind}.")
    columns = [c for c in COLUMNS[kind] if wide or not c.wide]
    grid = Table(box=None, header_style="bold", pad_edge=False)
    for c in columns:
        # Ids are what people copy into the next command: never fold them.
        grid.add_column(c.title, no_wrap=c.title not in ("MESSAGE", "COMMAND"), overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(c.title, c.cell(row)) for c in columns))
    return grid


def describe(
    fields: Sequence[tuple[str, str]], sections: Sequence[tuple[str, RenderableType]] = ()
) -> RenderableType:
    """One object as `Field: value` lines, then titled sections (its tasks,
    its history)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in fields:
        grid.add_row(name + ":", _cell("STATE" if name in ("State", "Status") else "", value))
    parts: list[RenderableType] = [grid]
    for title, body in sections:
        parts += [Text(""), Text(title + ":", style="bold"), body]
    return Group(*parts)


# Widest a line gets: on a pipe always, on a terminal when a table needs it.
WIDEST = 250


def console(content: RenderableType | None = None) -> Console:
    """Where to print `content`. A pipe or a file gets no colour and no
    terminal width to fit. A terminal narrower than a table gets the table's
    full lines to wrap, as kubectl's do, rather than cropped ids."""
    found = Console()
    if not found.is_terminal:
        return Console(width=WIDEST)
    if content is not None:
        natural = found.measure(content, options=found.options.update_width(WIDEST)).maximum
        if natural > found.width:
            return Console(width=natural, force_terminal=True)
    return found


def dump(data: Any, output: str, compact: bool = False) -> str:
    """JSON (one line when compact) or YAML text of `data`, ending in a newline."""
    if output == "yaml":
        import yaml  # here, not at the top: 16 ms of start-up that only -o yaml needs

        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    if compact:
        return json.dumps(data, separators=(",", ":")) + "\n"
    return json.dumps(data, indent=2) + "\n"


def emit(data: Any, human: Callable[[], RenderableType], output: str) -> None:
    """Prints `data` as -o asks: JSON or YAML as is, else what `human` draws."""
    if output in ("json", "yaml"):
        print(dump(data, output), end="", flush=True)
        return
    content = human()
    out = console(content)
    if out.is_terminal:
        out.print(content)
        return
    with out.capture() as captured:
        out.print(content)
    # rich pads every cell to the table's width: trailing blanks help no reader.
    print("\n".join(line.rstrip() for line in captured.get().splitlines()), flush=True)
