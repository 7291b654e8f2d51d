"""The sections of docs/performance.md, one function per benchmark; each
states the figure, the anchor it is compared with, and the ratio."""

from __future__ import annotations

import os

from bench import store_bench
from bench.allocator_bench import AllocatorResult
from bench.containers_bench import ContainersResult, UserResult
from bench.load.run import LoadResult
from bench.multihost_bench import MultihostResult, spread_text
from bench.recovery_bench import RecoveryResult
from bench.store_bench import StoreResult

# Anchors, each from the issue (#8) or the cited source.
SWARM_BY_TAG_20 = 6.2  # s to 20 running, measured by hand on this kind of machine
SWARM_BY_ID_20 = 3.3
SWARM_REPLACE = 0.64
NOMAD_C1M_RATE = 3750.0  # containers/s placed in Nomad's C1M
MESOS_10K_CYCLE = 1.06  # s per cycle, 10,000 agents and 1,000 frameworks (C++, 2018)
TARGET_LAUNCHES = 4000.0
TARGET_OFFER_P99 = 0.050
TARGET_RECOVERY = 3.0
TARGET_RSS = 2**30

MiB = 2**20
CORES = os.cpu_count() or 1


def _verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def _rounds(results: list[ContainersResult]) -> str:
    counts = {r.rounds for r in results}
    if counts == {1}:
        return "once each"
    if len(counts) == 1:
        times = f"{counts.pop()} times each"
    else:
        times = " and ".join(f"{r.rounds} times at N = {r.n}" for r in results)
    return f"each going first in turn, {times}; each figure is the median"


def containers(results: list[ContainersResult]) -> list[str]:
    lines = [
        "## Real containers on one host",
        "",
        "Time from the first call until the engine's event stream has told of N",
        "`sleep` container starts (a poll of its container list every 20 ms slowed",
        "the starts it timed by about 9%), all on one private Docker engine in one run",
        "(`bench/containers_bench.py`). *Engine limit*: N parallel `docker run -d` from",
        "a thread pool. *Swarm*: `docker service create --replicas N --restart-delay 0s`,",
        "image by tag and by id. *offer*: offer-service deploys an app of N instances",
        "through a real master and agent (its control API's DeployApps).",
        "*Replace*: one container killed by hand (`docker kill`) until another starts",
        "(Swarm by id with `--restart-delay 0s`; offer-service with `backoff_seconds: 0`).",
        "Every method starts the same container: the engine's default network and the",
        "limits an agent always sets (0.1 cpu, 32 MiB without swap, a PID limit; Swarm",
        "has no PID-limit flag on this engine), since a cgroup and a network namespace",
        f"are part of each start's cost. The methods take turns, {_rounds(results)}.",
        "",
        "| N | engine limit | Swarm by tag | Swarm by id | offer | offer / engine | "
        "offer / best Swarm | Swarm replace | offer replace |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        best = min(r.swarm_by_tag, r.swarm_by_id)
        lines.append(
            f"| {r.n} | {r.engine:.2f} s ({r.n / r.engine:.1f}/s) | {r.swarm_by_tag:.2f} s "
            f"| {r.swarm_by_id:.2f} s | {r.offer:.2f} s | {r.offer / r.engine:.2f}x "
            f"| {r.offer / best:.2f}x | {r.swarm_replace:.2f} s | {r.offer_replace:.2f} s |"
        )
    lines += [
        "",
        f"Anchors measured by hand before (issue #8): Swarm reached 20 running in "
        f"{SWARM_BY_TAG_20} s by tag and {SWARM_BY_ID_20} s by id, and replaced a killed "
        f"container in {SWARM_REPLACE} s; the engine started 6-7 containers/s.",
        "Targets: at least as fast as Swarm's best, within 10% of the engine's limit.",
        "",
    ]
    for r in results:
        best = min(r.swarm_by_tag, r.swarm_by_id)
        lines.append(
            f"- N = {r.n}: as fast as Swarm's best {_verdict(r.offer <= best)} "
            f"({_against(r.offer, best)}); within 10% of the engine "
            f"{_verdict(r.offer <= 1.1 * r.engine)} ({100 * (r.offer / r.engine - 1):+.0f}%); "
            f"replacement {_verdict(r.offer_replace <= r.swarm_replace)} against Swarm's "
            f"({r.offer_replace:.2f} s against {r.swarm_replace:.2f} s).{_paired(r)}"
        )
    return [*lines, ""]


# offerctl's start-up target (issue 20): a command line answers at once.
TARGET_STARTUP = 0.100


def user_level(user: UserResult) -> list[str]:
    lines = [
        "## offerctl, as a user runs it",
        "",
        "Wall time of the installed `offerctl` script (`bench/containers_bench.py`, the",
        "same run and engine as above): start-up, then a list against the running master",
        "and offer-service (found through the master); medians. offerctl imports grpc,",
        "rich and the generated protos only for the commands that need them.",
        "",
        "| command | time | target |",
        "|---|---:|---:|",
    ]
    for name, seconds in user.startup.items():
        target = f"{_ms(TARGET_STARTUP)}" if name == "offerctl --version" else "-"
        lines.append(f"| `{name}` | {_ms(seconds)} | {target} |")
    ratio = user.offerctl_deploy / user.swarm_deploy
    lines += [
        "",
        f"A deploy of {user.n} containers as a user waits for it: from invoking the CLI",
        "until it returns with every container running, median of "
        f"{user.rounds} round(s) taking turns.",
        "",
        "| `offerctl app deploy --wait` | `docker service create --detach=false` | ratio |",
        "|---:|---:|---:|",
        f"| {user.offerctl_deploy:.2f} s | {user.swarm_deploy:.2f} s | {ratio:.2f}x |",
        "",
        "`docker service create` returns once Swarm's CLI has seen the service converge,",
        "which includes its own wait for the tasks to stay up; `offerctl --wait` returns",
        "once every instance is RUNNING (healthy, with a health check). "
        f"offerctl --version under {_ms(TARGET_STARTUP)}: "
        f"{_verdict(user.startup['offerctl --version'] <= TARGET_STARTUP)}.",
        "",
    ]
    return lines


def multihost(r: MultihostResult | str) -> list[str]:
    """The three-host section; a string: why it did not run here."""
    title = ["## Real containers on three hosts", ""]
    if isinstance(r, str):
        return [*title, f"Not run on this machine: {r}.", ""]
    swarm_over_offer = r.swarm_median / r.offer_median
    paired = [s / o for o, s in zip(r.offer, r.swarm, strict=True)]
    ahead = sum(ratio >= 1.0 for ratio in paired)
    rounds = (
        "Each ran once."
        if r.rounds == 1
        else f"Median of {r.rounds} rounds, each method going first in one."
    )
    lines = [
        *title,
        f"{r.n} `sleep` instances over {r.hosts} hosts (`bench/multihost_bench.py`): network",
        "namespaces on this machine (`offer.localcluster`, 10.231.20.0/24), a Docker engine",
        "in each and Debian's registry on the bridge, from which every engine pulls the",
        "image by its registry name (each pulled it and started a container before the",
        f"first round). *offer*: offer-service deploys an app of {r.n} instances through a",
        "real master on the bridge address and an agent on each host, each agent offering",
        f"room for all {r.n} (where they go is offer-service's choice). *Swarm*: `docker",
        f"service create --replicas {r.n}` on a {r.hosts}-node swarm of the same engines (h1",
        "the manager; advertise, listen and data-path addresses the hosts'; no ingress",
        "network, as nothing publishes a port). *offer, spread*: the same app with",
        f"Marathon's constraint `[hostname, MAX_PER, '{r.max_per_host}']`. *Engines*: "
        f"{r.n // r.hosts} parallel",
        "`docker run -d` on each engine at once (the CLI, as the one-host engine limit). The",
        "container and its limits are those of the one-host section; each is timed from",
        f"the call until the three engines' event streams have told of {r.n} starts;",
        "*first start*: until the first of them.",
        rounds,
        "",
        "| | offer | Swarm | offer, spread | engines |",
        "|---|---:|---:|---:|---:|",
        f"| {r.n} running | {r.offer_median:.2f} s | {r.swarm_median:.2f} s "
        f"| {r.spread_median:.2f} s | {r.engines_median:.2f} s |",
        "| first start | "
        + " | ".join(f"{r.first[m]:.2f} s" for m in ("offer", "swarm", "spread", "engines"))
        + " |",
        f"| per host (h1/h2/h3) | {spread_text(r.offer_spread)} | {spread_text(r.swarm_spread)} "
        f"| {spread_text(r.spread_spread)} | {r.n // r.hosts} each |",
        "",
        f"Target: at least as fast as Swarm {_verdict(r.offer_median <= r.swarm_median)} "
        f"({_against(r.offer_median, r.swarm_median)}; Swarm / offer "
        f"{swarm_over_offer:.2f}x).",
    ]
    if len(paired) > 1:
        lines[-1] += (
            f" Round by round, offer was at least as fast as Swarm in {ahead} of "
            f"{len(paired)} (Swarm / offer {min(paired):.2f}x to {max(paired):.2f}x)."
        )
    packed = max(max(s) for s in r.offer_spread) > r.max_per_host
    if packed:
        change = 100 * (r.spread_median / r.offer_median - 1)
        lines += [
            "",
            "offer-service packs an app onto the first offer with room, so one engine",
            "started the containers that Swarm spread over three. The hosts share this",
            f"machine's {CORES} cores: the engines alone took {r.engines_median:.2f} s, and "
            f"spreading by constraint changed offer's time by {change:+.0f}%"
            + (
                ", so packing cost little here. On separate machines, where each engine "
                "starts its share with its own CPU, it would."
                if abs(change) < 10
                else "."
            ),
        ]
    return [*lines, ""]


def _against(mine: float, theirs: float) -> str:
    """Two times with enough digits to show which is shorter."""
    digits = 2 if f"{mine:.2f}" != f"{theirs:.2f}" else 3
    return f"{mine:.{digits}f} s against {theirs:.{digits}f} s"


def _paired(r: ContainersResult) -> str:
    """Round by round against Swarm's best of the same round, which tells a
    real difference from the machine's drift between rounds."""
    ratios = r.offer_over_swarm
    if len(ratios) < 2:
        return ""
    ahead = sum(ratio <= 1.0 for ratio in ratios)
    return (
        f" Round by round, offer was at least as fast as Swarm's best of the same round "
        f"in {ahead} of {len(ratios)} ({min(ratios):.2f}x to {max(ratios):.2f}x its time)."
    )


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.0f} ms"


def _cpu_ms(cores: float, r: LoadResult) -> str:
    """CPU per launch, from cores busy at a launch rate."""
    return f"{1000 * cores / r.launches_per_second:.2f} ms"


def _asked(r: LoadResult) -> float:
    return r.spec.agents * 4 / r.spec.task_seconds


def load(results: list[LoadResult], placements: list[LoadResult]) -> list[str]:
    lines = [
        "## The master at scale",
        "",
        "A real master process with its SQLite store (WAL, `synchronous=FULL`, every",
        "change durable before anyone is told) driven over real gRPC by `bench/load/`:",
        "load agents (one Agent.Connect stream each, many per process, 4 cpus each,",
        "reporting STARTING, RUNNING and FINISHED as the real agent does, without a",
        "container) and 8 load frameworks in 4 roles that fill every offer with 1-cpu",
        "tasks (4 per agent) and acknowledge every update, answering each offers event",
        "with one AcceptMany. Tasks run `task s` on average (uniformly between none and",
        "twice that, so that frees come as a flow), so agents x 4 / task launches/s",
        "are asked for. Figures are from a window after a warm-up. *Offer latency*:",
        "an agent's terminal update sent -> a framework receives an offer of those cpus.",
        "*Update latency*: an agent sends an update -> its framework receives it.",
        "Both ends run in the one load process,",
        f"so they read one clock. The load tool shares the {CORES} cores with the master",
        "(its own CPU is shown).",
        "",
        "| agents | task | asked | launches/s | offer p50 | offer p99 | update p50 "
        "| update p99 | master CPU | load tool CPU | master peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        offers = (r.offer_p50, r.offer_p99) if r.offer_samples else (None, None)
        updates = (r.update_p50, r.update_p99) if r.update_samples else (None, None)
        cells = " | ".join(_ms(v) for v in (*offers, *updates))
        lines.append(
            f"| {r.spec.agents:,} | {r.spec.task_seconds:g} s | {_asked(r):,.0f}/s "
            f"| {r.launches_per_second:,.0f} | {cells} | {r.master_cpu:.2f} cores "
            f"| {r.tool_cpu:.2f} cores | {r.master_peak_rss / MiB:,.0f} MiB |"
        )
    if any(not r.offer_samples for r in results):
        lines += [
            "",
            "A dash: no agent both freed resources and was offered them again within the",
            "window (at 10,000 agents the frameworks are still filling agents for the",
            "first time, so every offer is of an agent never used before).",
        ]
    # The offer-latency target is set at 1,000 agents; it is judged on the
    # run asking least of them (below capacity), where latency is not a queue.
    small = min(results, key=lambda r: (r.spec.agents != 1000, _asked(r), r.spec.agents))
    churn = max(results, key=lambda r: r.launches_per_second)
    largest = max(placements, key=lambda r: r.spec.agents)
    slowest = min(placements, key=lambda r: r.fill_tasks_per_second)
    lines += [
        "",
        f"Offer latency p99 at {small.spec.agents:,} agents asked for {_asked(small):,.0f} "
        f"launches/s: {small.offer_p99 * 1000:,.0f} ms (p50 {small.offer_p50 * 1000:,.0f} ms); "
        f"target under {TARGET_OFFER_P99 * 1000:.0f} ms at 1,000 agents "
        f"{_verdict(small.spec.agents >= 1000 and small.offer_p99 < TARGET_OFFER_P99)} "
        "there. The other rows show it at higher asks, where frees one task at a time "
        "keep the master's core busy and the figure includes a queue.",
        "",
        "### Placement, C1M's shape",
        "",
        "Nomad's C1M placed a million containers on 5,000 empty clients. The same shape",
        "here: endless tasks (0.25 cpu, 16 to an agent) placed by the same 8 frameworks",
        "on empty load agents, timed from the frameworks' subscription until every task",
        "runs on its agent *and* its framework has received its RUNNING update (durably",
        "stored first, as always).",
        "",
        "| agents | tasks | seconds | launches/s | update p50 | update p99 | master CPU "
        "| load tool CPU | master peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {p.spec.agents:,} | {p.spec.fill_tasks:,} | {p.fill_seconds:.1f} s "
            f"| {p.fill_tasks_per_second:,.0f} | {_ms(p.update_p50)} | {_ms(p.update_p99)} "
            f"| {p.master_cpu:.2f} cores | {p.tool_cpu:.2f} cores "
            f"| {p.master_peak_rss / MiB:,.0f} MiB |"
            for p in placements
        ),
        "",
        f"Anchor: Nomad's C1M placed {NOMAD_C1M_RATE:,.0f} containers/s. Placement here: "
        + ", ".join(
            f"{p.fill_tasks_per_second:,.0f} launches/s at {p.spec.agents:,} agents "
            f"({p.fill_tasks_per_second / NOMAD_C1M_RATE:.2f}x Nomad's rate)"
            for p in placements
        )
        + f"; target {TARGET_LAUNCHES:,.0f}/s "
        f"{_verdict(slowest.fill_tasks_per_second >= TARGET_LAUNCHES)}"
        f"{' at every size' if len(placements) > 1 else ''}. "
        f"Under churn (the table above, each launch also a free, an offer and a task's "
        f"end) the best is {churn.launches_per_second:,.0f} launches/s at "
        f"{churn.spec.agents:,} agents: target "
        f"{_verdict(churn.launches_per_second >= TARGET_LAUNCHES)} there. Each of those "
        f"launches took {_cpu_ms(churn.master_cpu, churn)} of the master's CPU and "
        f"{_cpu_ms(churn.tool_cpu, churn)} of the load tool's: {TARGET_LAUNCHES:,.0f} a "
        f"second at that cost would keep "
        f"{TARGET_LAUNCHES * (churn.master_cpu + churn.tool_cpu) / churn.launches_per_second:.1f}"
        f" cores busy, on a machine of {CORES}.",
        f"Memory with {largest.spec.agents:,} agents and {largest.spec.fill_tasks:,} tasks "
        f"placed live (not recovered): peak RSS {largest.master_peak_rss / MiB:,.0f} MiB, "
        f"target under 1 GiB {_verdict(largest.master_peak_rss < TARGET_RSS)}.",
        "The workloads differ (C1M placed allocations on 5,000 real Nomad clients,",
        "without our per-update durability and acknowledgements), so read the ratio",
        "as indicative.",
        "",
        "![launch rate](launch-rate.png)",
        "",
    ]
    return lines


def allocator(results: list[AllocatorResult]) -> list[str]:
    lines = [
        "## The allocator alone",
        "",
        "One allocation cycle (`master.allocator.allocate`), no master, no",
        "network: every agent's free resources go to one framework by",
        "hierarchical DRF (4 roles). Median of several cycles. *Reference* is the",
        "same policy with a sorter that re-sorts every framework after each",
        "offer (`bench/reference_sorter.py`); the shipped sorter moves only the",
        "framework whose share changed.",
        "",
        "| agents | frameworks | scenario | cycle | reference | speed-up |",
        "|---:|---:|---|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.agents:,} | {r.frameworks:,} | {r.scenario} | {r.seconds * 1000:.1f} ms "
            f"| {r.reference_seconds * 1000:.1f} ms | {r.reference_seconds / r.seconds:.1f}x |"
        )
    big = [r for r in results if r.agents == 10000 and r.scenario == "all agents free"]
    if big:
        worst = max(big, key=lambda r: r.frameworks)
        lines += [
            "",
            f"Anchor: Mesos's allocator took {MESOS_10K_CYCLE} s per cycle at 10,000 agents "
            "and 1,000 frameworks after its 2018 optimisation (C++). Here, at 10,000 agents "
            f"and {worst.frameworks:,} frameworks: {worst.seconds:.3f} s, "
            f"{MESOS_10K_CYCLE / worst.seconds:.1f}x faster"
            + ("" if worst.frameworks == 1000 else " (1,000 frameworks runs without BENCH_QUICK)")
            + f". Target under 0.5 s {_verdict(worst.seconds < 0.5)}. The workloads are "
            "alike, not identical (Mesos's benchmark also tracks reservations and "
            "per-resource filters), so read the ratio as indicative.",
        ]
    return [*lines, "", "![allocation time](allocation-time.png)", ""]


def recovery(r: RecoveryResult) -> list[str]:
    return [
        "## Recovery and memory",
        "",
        f"A store holding {r.tasks:,} live tasks on {r.agents:,} agents and 8 frameworks",
        "(each task with its row and its STAGING and RUNNING updates, acknowledged),",
        f"written through `StateStore.write` in {r.fill_seconds:.1f} s. The real master",
        "process is started on it and timed until it answers an Operator call",
        "(`bench/recovery_bench.py`); then every agent comes back (load agents",
        "re-registering with their ids and tasks) and the master's RSS is read.",
        "",
        "| | figure | target | |",
        "|---|---:|---:|---|",
        f"| start on an empty store | {r.empty_start_seconds:.2f} s | | |",
        f"| start on {r.tasks:,} tasks (recovery) | {r.start_seconds:.2f} s "
        f"| under {TARGET_RECOVERY:.0f} s | {_verdict(r.start_seconds < TARGET_RECOVERY)} |",
        f"| RSS with the state loaded | {r.loaded_rss / MiB:,.0f} MiB | | |",
        f"| {r.agents:,} agents re-registered | {r.reregister_seconds:.1f} s | | |",
        f"| RSS with {r.agents:,} agents and {r.tasks:,} tasks | {r.connected_rss / MiB:,.0f} MiB "
        f"| under 1 GiB | {_verdict(r.connected_rss < TARGET_RSS)} |",
        f"| peak RSS | {r.peak_rss / MiB:,.0f} MiB | | |",
        "",
    ]


def store(results: list[StoreResult]) -> list[str]:
    one, grouped = results[:2]
    return [
        "## The state store",
        "",
        f"{one.updates:,} status updates made durable (SQLite, WAL, `synchronous=FULL`), each",
        "caller awaiting its own durability. *One by one*: each write waits for its",
        f"own commit. *Grouped*: {store_bench.WRITERS} streams (as agents' would) each send "
        "their updates in order,",
        "awaiting each one's durability; the writer commits whatever has queued",
        "meanwhile in one transaction.",
        "",
        "| mode | updates/s | commits |",
        "|---|---:|---:|",
        f"| one by one | {one.per_second:,.0f} | {one.commits:,} |",
        f"| grouped | {grouped.per_second:,.0f} | {grouped.commits:,} |",
        "",
        f"Group commit: {grouped.per_second / one.per_second:.1f}x the updates per second.",
        "",
    ]


def store_on_postgresql(
    stores: list[list[StoreResult]], recoveries: list[RecoveryResult]
) -> list[str]:
    """The store benchmark and recovery on SQLite and on PostgreSQL, side by
    side: `stores` and `recoveries` each hold SQLite's run, then PostgreSQL's."""
    lite, pg = ({r.mode: r for r in results} for results in stores)
    lite_rec, pg_rec = recoveries
    one, grouped, upserts = (lite[m] for m in store_bench.MODES)
    pg_gain = pg["grouped"].per_second / pg["one by one"].per_second

    def rate(mode: str, what: str) -> str:
        a, b = lite[mode], pg[mode]
        return (
            f"| {what} | {a.per_second:,.0f}/s | {b.per_second:,.0f}/s "
            f"| {b.per_second / a.per_second:.2f}x |"
        )

    def seconds(what: str, a: float, b: float) -> str:
        return f"| {what} | {a:.2f} s | {b:.2f} s | {b / a:.2f}x |"

    return [
        "## The state store on PostgreSQL",
        "",
        "The same benchmarks on SQLite (WAL, `synchronous=FULL`) and on PostgreSQL",
        f"{_postgres_version()} (a server of their own on loopback, durable: fsync,",
        "synchronous commit and full page writes on, as shipped), one after the other.",
        f"Writes: {one.updates:,} status updates, one by one and grouped by "
        f"{store_bench.WRITERS} streams (as in",
        f"*The state store*); *upserts*: {upserts.updates:,} calls of offer-service's "
        "store, each one instance row",
        "upserted in its own transaction, as on every status update. Recovery: the",
        f"master started on {lite_rec.tasks:,} tasks on {lite_rec.agents:,} agents "
        "(as in *Recovery and memory*).",
        "",
        "| | SQLite | PostgreSQL | PostgreSQL / SQLite |",
        "|---|---:|---:|---:|",
        rate("one by one", "status updates, one by one"),
        rate("grouped", "status updates, grouped"),
        f"| commits for the grouped ones | {grouped.commits:,} | {pg['grouped'].commits:,} | |",
        rate("upserts", "offer-service upserts"),
        seconds(
            f"filling {lite_rec.tasks:,} tasks",
            lite_rec.fill_seconds,
            pg_rec.fill_seconds,
        ),
        seconds(
            "start on an empty store",
            lite_rec.empty_start_seconds,
            pg_rec.empty_start_seconds,
        ),
        seconds(
            f"start on {lite_rec.tasks:,} tasks (recovery)",
            lite_rec.start_seconds,
            pg_rec.start_seconds,
        ),
        f"| RSS with the state loaded | {lite_rec.loaded_rss / MiB:,.0f} MiB "
        f"| {pg_rec.loaded_rss / MiB:,.0f} MiB | |",
        "",
        f"Group commit on PostgreSQL: {pg_gain:.1f}x the updates per second of one by one.",
        "",
    ]


def _postgres_version() -> str:
    from bench.pgserver import major_version

    return major_version()
