"""What scraping /metrics costs the master: its launch rate with a scraper
asking for /metrics every second, and without, side by side.

One real master process (SQLite store) and the load tool's agents and
frameworks (bench/load) keep the master saturated with churn: every task
runs about a second, so each launch is also a free, an offer and status
updates, and the master's one core is the limit. The run is cut into
windows, scraped and unscraped in turn (ABBA order, so a drift of the
shared machine falls on both), and compares the launches per second and
the master's CPU per launch of the two kinds. The metrics' own
instruments are on in both: what is compared is the cost of being scraped.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.load.agents import LoadAgents
from bench.load.frameworks import Demand, LoadFramework
from bench.load.run import AGENT_CPUS, AGENT_MEM, CHURN_CPUS, ROLES
from bench.load.stats import Recorder, percentile
from bench.masterproc import MasterProcess, free_port

# The bound: scraped at most 5% slower.
TARGET_SLOWDOWN = 0.05
SCRAPE_INTERVAL = 1.0


@dataclass(frozen=True)
class MetricsSpec:
    agents: int
    rounds: int
    window_seconds: float
    frameworks: int = 8
    task_seconds: float = 1.0
    warmup_seconds: float = 5.0


@dataclass(frozen=True)
class Window:
    scraped: bool
    launches_per_second: float
    # Cores the master kept busy (1.0 = one core).
    master_cpu: float

    @property
    def cpu_ms_per_launch(self) -> float:
        return 1000 * self.master_cpu / self.launches_per_second if self.launches_per_second else 0


@dataclass(frozen=True)
class MetricsResult:
    spec: MetricsSpec
    windows: list[Window]
    # Seconds each scrape took, as the scraper saw it (request to last byte).
    scrape_seconds: list[float] = field(default_factory=list)
    scrape_bytes: int = 0
    scrape_errors: int = 0

    def of(self, scraped: bool) -> list[Window]:
        return [w for w in self.windows if w.scraped is scraped]

    def rate(self, scraped: bool) -> float:
        return statistics.mean(w.launches_per_second for w in self.of(scraped))

    def cpu_per_launch(self, scraped: bool) -> float:
        return statistics.mean(w.cpu_ms_per_launch for w in self.of(scraped))

    @property
    def round_ratios(self) -> list[float]:
        """Scraped over unscraped launch rate, per round (its two windows)."""
        pairs = zip(self.windows[::2], self.windows[1::2], strict=True)
        ratios = []
        for a, b in pairs:
            on, off = (a, b) if a.scraped else (b, a)
            ratios.append(on.launches_per_second / off.launches_per_second)
        return ratios


def spec(quick: bool) -> MetricsSpec:
    """1,000 agents asked for 4,000 launches/s: more than the master does,
    so that its rate is its capacity (docs/performance.md, the master at scale)."""
    if quick:
        return MetricsSpec(1000, rounds=4, window_seconds=5.0)
    # Many short rounds: on a shared machine the noise between windows is
    # larger than the effect, and a median over many pairs sees through it.
    return MetricsSpec(1000, rounds=12, window_seconds=6.0)


class Scraper:
    """GETs /metrics every SCRAPE_INTERVAL while `on`, as Prometheus would."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.on = False
        self.seconds: list[float] = []
        self.size = 0
        self.errors = 0

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                began = time.perf_counter()
                if self.on:
                    await self._scrape(session)
                await asyncio.sleep(max(0.0, SCRAPE_INTERVAL - (time.perf_counter() - began)))

    async def _scrape(self, session: aiohttp.ClientSession) -> None:
        began = time.perf_counter()
        try:
            async with session.get(self.url) as response:
                body = await response.read()
                response.raise_for_status()
        except aiohttp.ClientError:
            self.errors += 1
            return
        self.seconds.append(time.perf_counter() - began)
        self.size = len(body)


async def _run(spec: MetricsSpec, directory: Path) -> MetricsResult:
    http_port = free_port()
    master = MasterProcess(
        f"sqlite:///{directory / 'master.db'}",
        directory / "master.log",
        "--http-port",
        str(http_port),
    )
    master.start()
    recorder = Recorder()
    agents = LoadAgents(master.address, spec.agents, AGENT_CPUS, AGENT_MEM, recorder)
    frameworks = [
        LoadFramework(
            master.address,
            f"load-{i}",
            f"role{i % ROLES}",
            Demand(spec.task_seconds, CHURN_CPUS),
            recorder,
        )
        for i in range(spec.frameworks)
    ]
    scraper = Scraper(f"http://127.0.0.1:{http_port}/metrics")
    scraping = asyncio.create_task(scraper.run())
    windows = []
    try:
        await agents.register()
        await asyncio.gather(*(f.start() for f in frameworks))
        await asyncio.sleep(spec.warmup_seconds)
        for n in range(spec.rounds):
            # ABBA: unscraped first in even rounds, scraped first in odd ones.
            for scraped in (False, True) if n % 2 == 0 else (True, False):
                scraper.on = scraped
                windows.append(await _window(spec, master, recorder, scraped))
    finally:
        scraping.cancel()
        await asyncio.gather(scraping, return_exceptions=True)
        await asyncio.gather(*(f.close() for f in frameworks))
        await agents.close()
        master.stop()
    return MetricsResult(spec, windows, scraper.seconds, scraper.size, scraper.errors)


async def _window(
    spec: MetricsSpec, master: MasterProcess, recorder: Recorder, scraped: bool
) -> Window:
    start, cpu = time.time(), master.cpu_seconds()
    await asyncio.sleep(spec.window_seconds)
    end = time.time()
    launches = sum(1 for at in recorder.launches if start <= at <= end)
    return Window(scraped, launches / (end - start), (master.cpu_seconds() - cpu) / (end - start))


def run(quick: bool) -> MetricsResult:
    with tempfile.TemporaryDirectory(prefix="offer-metrics-") as tmp:
        return asyncio.run(_run(spec(quick), Path(tmp)))


def report(result: MetricsResult) -> list[str]:
    s = result.spec
    ratios = result.round_ratios
    median = statistics.median(ratios)
    slowdown = 1 - median
    met = "**met**" if slowdown < TARGET_SLOWDOWN else "**missed**"
    scrapes = result.scrape_seconds
    lines = [
        "## The cost of metrics",
        "",
        f"A real master under churn ({s.agents:,} load agents, {s.frameworks} frameworks, "
        f"tasks of about {s.task_seconds:g} s, more launches asked than it can do), its "
        f"run cut into {2 * s.rounds} windows of {s.window_seconds:g} s: in every other one "
        f"a scraper GETs /metrics every {SCRAPE_INTERVAL:g} s (ABBA order; "
        "`BENCH_ONLY=metrics make bench`, bench/metrics_bench.py). The metrics' "
        "instruments count in both kinds of window; what differs is being scraped.",
        "",
        "| windows | launches/s | master CPU | master CPU per launch |",
        "|---|---|---|---|",
    ]
    for scraped in (False, True):
        windows = result.of(scraped)
        lines.append(
            f"| {'scraped' if scraped else 'not scraped'} ({len(windows)}) "
            f"| {result.rate(scraped):,.0f} "
            f"| {statistics.mean(w.master_cpu for w in windows):.2f} cores "
            f"| {result.cpu_per_launch(scraped):.3f} ms |"
        )
    lines += [
        "",
        f"Scraped over not scraped, per round: {', '.join(f'{r:.3f}' for r in ratios)}; "
        f"median {median:.3f} ({slowdown:+.1%} slower when scraped; target under "
        f"{TARGET_SLOWDOWN:.0%} {met}). Mean rates scraped over not: "
        f"{result.rate(True) / result.rate(False):.3f}; master CPU per launch scraped over "
        f"not: {result.cpu_per_launch(True) / result.cpu_per_launch(False):.3f} (the "
        "steadier figure on a shared machine: it does not depend on how much CPU the "
        "master was given).",
        f"Scrapes: {len(scrapes)}, {result.scrape_errors} failed; each took "
        f"{1000 * percentile(scrapes, 50):.1f} ms at the median and "
        f"{1000 * max(scrapes, default=0):.1f} ms at most, for {result.scrape_bytes:,} bytes "
        "(the whole exposition, read from the master's state on its event loop).",
        "",
    ]
    return lines
