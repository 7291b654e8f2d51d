"""The SDK's pure helpers: building, packing and placing tasks."""

from __future__ import annotations

import types

import pytest

import frameworks.sdk as sdk
from frameworks.sdk import (
    Constraint,
    Offer,
    Placement,
    Resources,
    check_constraints,
    make_task,
    pack,
    pack_offers,
)


def test_the_public_surface_is_what_all_says() -> None:
    public = {name for name in dir(sdk) if not name.startswith("_")}
    # Submodules appear as attributes once anything imported them.
    modules = {name for name in public if isinstance(getattr(sdk, name), types.ModuleType)}
    assert public - modules == set(sdk.__all__)


def test_make_task_reads_a_shell_line_or_an_argv() -> None:
    shell = make_task("t1", "img", "echo hi && exit 3", cpus=0.5, mem=64, env={"A": "1"})
    assert shell.command == ("sh", "-c", "echo hi && exit 3")
    assert (shell.resources, shell.env) == (Resources(0.5, 64), (("A", "1"),))
    assert make_task("t2", "img", ["httpd", "-f"]).command == ("httpd", "-f")
    assert make_task("t3", "img").command == ()


def test_pack_fits_in_order_and_assigns_host_ports() -> None:
    offer = Offer("o1", "a1", "host1", Resources(1, 256, ports=((31000, 31002),)))
    web = [make_task(f"web{i}", "img", ports=[8080, 9090], cpus=0.2, mem=64) for i in range(3)]
    packed = pack(offer, web)
    # Two host ports each: the offer's three ports fit one web task only.
    assert [t.task_id for t in packed.launch] == ["web0"]
    assert [(m.container_port, m.host_port) for m in packed.launch[0].port_mappings] == [
        (8080, 31000),
        (9090, 31001),
    ]
    assert packed.launch[0].resources.ports == ((31000, 31001),)
    assert [t.task_id for t in packed.left_out] == ["web1", "web2"]
    assert packed.remaining == Resources(0.8, 192, ports=((31002, 31002),))


def test_pack_stops_at_cpu_and_memory() -> None:
    tasks = [make_task(f"t{i}", "img", cpus=0.4, mem=100) for i in range(4)]
    packed = pack(Resources(1, 1000), tasks)
    assert len(packed.launch) == 2 and len(packed.left_out) == 2


OFFER = Offer("o", "a", "host1", Resources(1, 1), {"rack": "r1", "zone": "a"})


@pytest.mark.parametrize(
    ("constraint", "placed", "verdict"),
    [
        (Constraint("hostname", "UNIQUE"), [], None),
        (Constraint("hostname", "UNIQUE"), [Placement("host1", {})], "UNIQUE hostname: host1"),
        (Constraint("rack", "UNIQUE"), [Placement("host2", {"rack": "r1"})], "UNIQUE rack: r1"),
        (Constraint("zone", "CLUSTER", "a"), [], None),
        (Constraint("zone", "CLUSTER", "b"), [], "CLUSTER zone:b: agent has zone=a"),
        (Constraint("rack", "LIKE", "r[0-9]"), [], None),
        (Constraint("rack", "UNLIKE", "r1"), [], "UNLIKE rack:r1"),
        (Constraint("rack", "MAX_PER", "2"), [Placement("h", {"rack": "r1"})], None),
        (Constraint("rack", "MAX_PER", "2"), [Placement("h", {"rack": "r1"})] * 2, "MAX_PER"),
        (Constraint("gpu", "UNIQUE"), [], "has no attribute 'gpu'"),
    ],
)
def test_constraints(constraint: Constraint, placed: list[Placement], verdict: str | None) -> None:
    result = check_constraints([constraint], OFFER, placed)
    assert result == verdict if verdict is None else verdict in (result or "")


def test_malformed_constraints_say_why() -> None:
    assert "unknown operator" in (Constraint("hostname", "SPREAD").problem() or "")
    assert "needs a whole number" in (Constraint("rack", "MAX_PER", "x").problem() or "")
    assert "bad regular expression" in (Constraint("rack", "LIKE", "(").problem() or "")
    assert Constraint("hostname", "UNIQUE").problem() is None


def test_pack_offers_binpacks_or_spreads_over_several_offers() -> None:
    offers = [Offer(f"o{i}", f"a{i}", f"host{i}", Resources(1, 256)) for i in range(3)]
    tasks = [make_task(f"t{i}", "img", cpus=0.5) for i in range(5)]
    binpacked = pack_offers(offers, tasks)
    assert [(a.offer_ids, [t.task_id for t in a.tasks]) for a in binpacked.acceptances] == [
        (["o0"], ["t0", "t1"]),
        (["o1"], ["t2", "t3"]),
        (["o2"], ["t4"]),
    ]
    spread = pack_offers(offers, tasks[:2], spread=True)
    assert [a.offer_ids for a in spread.acceptances] == [["o0"], ["o1"]]
    assert (spread.left_out, spread.unused) == ([], ["o2"])
    # Where task i's first choice is full, it takes the next offer with room.
    crowded = pack_offers(offers[:2], [*tasks, make_task("big", "img", cpus=2)], spread=True)
    assert [[t.task_id for t in a.tasks] for a in crowded.acceptances] == [
        ["t0", "t2"],
        ["t1", "t3"],
    ]
    assert [t.task_id for t in crowded.left_out] == ["t4", "big"]
    assert pack_offers([], tasks).left_out == tasks


def test_pack_puts_revocable_tasks_on_the_revocable_part_only() -> None:
    lent = Offer("o", "a", "h", Resources(1, 256), revocable=Resources(2, 1024))
    tasks = [
        make_task("r1", "img", cpus=1.5, mem=512, revocable=True),
        make_task("r2", "img", cpus=1, mem=64, revocable=True),  # 0.5 cpus left: no
        make_task("p1", "img", cpus=1, mem=256),
        make_task("r3", "img", cpus=0.5, mem=64, ports=[80], revocable=True),  # no ports there
    ]
    packing = pack(lent, tasks)
    assert [t.task_id for t in packing.launch] == ["r1", "p1"]
    assert [t.task_id for t in packing.left_out] == ["r2", "r3"]
    assert packing.remaining == Resources(0, 0)
    assert packing.remaining_revocable == Resources(0.5, 512)
    # Plain resources have no revocable part.
    assert pack(Resources(8, 8192), tasks[:1]).left_out == tasks[:1]
    # Over several offers, each task goes where its part has room.
    plain = Offer("o2", "b", "h2", Resources(4, 4096))
    placed = pack_offers([plain, lent], tasks[:3])
    assert [(a.offer_ids, [t.task_id for t in a.tasks]) for a in placed.acceptances] == [
        (["o2"], ["p1"]),
        (["o"], ["r1"]),
    ]
    assert [t.task_id for t in placed.left_out] == ["r2"]


def test_make_task_takes_named_volumes_and_an_entrypoint() -> None:
    spec = make_task(
        "t",
        "img",
        ["-c", "echo hi"],
        named_volumes=[sdk.NamedVolume("data", "/data")],
        entrypoint=["sh"],
    )
    assert spec.named_volumes == (sdk.NamedVolume("data", "/data"),)
    assert (spec.entrypoint, spec.command) == (("sh",), ("-c", "echo hi"))
