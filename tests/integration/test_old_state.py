"""State databases written before the move to top-level `master`, `agent` and
`frameworks` packages (tests/data/old-layout, made by the code of commit
d4257a6 with one app instance running and one job run succeeded) open with
the code of today: a master, offer-service and offer-batch started on them
carry on with what they held."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from frameworks.batch.store import BatchStore
from frameworks.service.store import ServiceStore
from master.store import StateStore
from tests.support.cluster import Cluster, wait_for

OLD = Path(__file__).parent.parent / "data" / "old-layout"


def test_each_store_reads_what_the_old_layout_wrote(tmp_path: Path) -> None:
    for name in ("master", "service", "batch"):
        shutil.copy(OLD / f"{name}.db", tmp_path / f"{name}.db")
    master = StateStore(f"sqlite:///{tmp_path / 'master.db'}")
    try:
        snapshot = master.load()
    finally:
        asyncio.run(master.close())
    assert [a.hostname for a in snapshot.agents] == ["host0"]
    # Agents and instances from before addresses advertise none (yet).
    assert [a.address for a in snapshot.agents] == [""]
    assert sorted(f.name for f in snapshot.frameworks) == ["offer-batch", "offer-service"]
    assert sorted(t.task_id.split(".")[0] for t in snapshot.tasks) == [
        "hello-1",
        "hello-1",
        "web",
    ]
    framework_id, apps, instances = ServiceStore(f"sqlite:///{tmp_path / 'service.db'}").load()
    assert framework_id and [a.spec.id for a in apps] == ["web"] and len(instances) == 1
    assert instances[0].address == "" and instances[0].hostname == "host0"
    batch = BatchStore(f"sqlite:///{tmp_path / 'batch.db'}").load()
    assert [j.spec.name for j in batch.jobs] == ["hello"]
    assert [(r.run_id, r.state.value) for r in batch.runs] == [("hello-1", "SUCCEEDED")]
    assert {a.address for a in batch.attempts} == {""}


def test_daemons_carry_on_from_the_old_layouts_databases(cluster: Cluster) -> None:
    for name in ("master", "service", "batch"):
        shutil.copy(OLD / f"{name}.db", cluster.root / f"{name}.db")
    cluster.start_master()
    assert [(a.hostname, a.address) for a in cluster.list("agents")] == [("host0", "")]
    [agent] = cluster.offerctl_json("agents")
    assert agent["address"] is None
    assert "-" in cluster.offerctl("agents").stdout.splitlines()[1].split()
    assert len(cluster.list("tasks")) == 3
    cluster.start_service()
    cluster.start_batch()
    web = cluster.app_json("web")
    assert web["app_id"] == "web"
    assert [(t["hostname"], t["address"]) for t in web["tasks"]] == [("host0", None)]
    runs = cluster.job_json("runs", "hello")
    assert [(r["run_id"], r["state"]) for r in runs] == [("hello-1", "SUCCEEDED")]

    # They subscribed again with the ids the old databases hold: no new framework.
    def resubscribed() -> bool:
        frameworks = cluster.list("frameworks")
        return len(frameworks) == 2 and all(f.connected for f in frameworks)

    wait_for(resubscribed, what="both frameworks to subscribe again with their old ids")
    names = sorted(f.info.name for f in cluster.list("frameworks"))
    assert names == ["offer-batch", "offer-service"]
