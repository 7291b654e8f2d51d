"""The PNGs of docs/performance.md: launch rate and allocation time
against cluster size, and the soak's curves over time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a build machine
import matplotlib.pyplot as plt

from bench.allocator_bench import AllocatorResult
from bench.load.run import LoadResult


def launch_rate(
    churn: list[LoadResult],
    placements: list[LoadResult],
    target: float,
    anchor: float,
    out: Path,
) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(
        [r.spec.agents for r in placements],
        [r.fill_tasks_per_second for r in placements],
        "s-",
        label="placement (C1M's shape)",
    )
    ax.plot(
        [r.spec.agents for r in churn],
        [r.launches_per_second for r in churn],
        "o-",
        label="churn (each launch also a task's end)",
    )
    ax.axhline(target, color="tab:green", linestyle="--", label=f"target {target:,.0f}/s")
    ax.axhline(anchor, color="tab:gray", linestyle=":", label=f"Nomad C1M {anchor:,.0f}/s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("load agents")
    ax.set_ylabel("task launches per second")
    ax.set_title("Launch rate against cluster size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def allocation_time(results: list[AllocatorResult], anchor: float, out: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    for frameworks in sorted({r.frameworks for r in results}):
        rows = sorted(
            (r for r in results if r.frameworks == frameworks and r.scenario == "all agents free"),
            key=lambda r: r.agents,
        )
        ax.plot(
            [r.agents for r in rows],
            [r.seconds * 1000 for r in rows],
            "o-",
            label=f"{frameworks:,} frameworks",
        )
    ax.axhline(
        anchor * 1000,
        color="tab:gray",
        linestyle=":",
        label="Mesos, 10,000 agents x 1,000 frameworks",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("agents")
    ax.set_ylabel("ms per allocation cycle (all agents free)")
    ax.set_title("Allocation cycle against cluster size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def soak(
    rows: Sequence[tuple[float, str, str, float]], quantities: Sequence[str], out: Path
) -> None:
    """One panel per quantity, one curve per process, against minutes of
    the soak (`rows`: seconds, process, quantity, value)."""
    shown = [q for q in quantities if any(r[2] == q for r in rows)]
    columns = 3
    lines = -(-len(shown) // columns)
    fig, axes = plt.subplots(lines, columns, figsize=(12, 3 * lines), squeeze=False)
    for ax, quantity in zip(axes.flat, shown, strict=False):
        processes = sorted({r[1] for r in rows if r[2] == quantity})
        for process in processes:
            points = [(t / 60, v) for t, p, q, v in rows if q == quantity and p == process]
            ax.plot([t for t, _ in points], [v for _, v in points], label=process)
        ax.set_title(quantity)
        ax.set_xlabel("minutes")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize="small")
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    fig.suptitle("Soak: each process over time")
    fig.tight_layout(rect=(0, 0, 1, 0.97))  # room for the title
    fig.savefig(out, dpi=80)
    plt.close(fig)
