"""Container usage read from the cgroup filesystem: finding a container's
counters (pure parsing), and the readings against the real engine's own."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from agent.containerizer import cgroups
from agent.containerizer.docker import DockerContainerizer
from agent.containerizer.engine_client import engine_client
from tests.support.cluster import IMAGE

CID = "8907c2792430b9eada0ccd64c396f30bb12a6f669056517facde3ac8f2b0c5f7"

# cgroup v1 with the unified hierarchy beside it, as on this project's machines.
HYBRID_MOUNTINFO = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
HYBRID_CGROUP = f"""\
9:name=systemd:/docker/{CID}
4:memory:/docker/{CID}
2:cpuacct:/docker/{CID}
1:cpu:/docker/{CID}
0::/docker/{CID}
"""
# cgroup v2 only, the engine on systemd's cgroup driver.
V2_MOUNTINFO = "30 24 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
V2_CGROUP = f"0::/system.slice/docker-{CID}.scope\n"


def test_cgroup_v1_counters_are_found_under_their_controllers_mounts() -> None:
    files = cgroups.locate(CID, HYBRID_CGROUP, cgroups.mounts(HYBRID_MOUNTINFO))
    assert files == cgroups.CgroupFiles(
        Path(f"/sys/fs/cgroup/cpuacct/docker/{CID}/cpuacct.usage"),
        Path(f"/sys/fs/cgroup/memory/docker/{CID}"),
        v2=False,
    )


def test_cgroup_v2_counters_are_found_in_the_unified_hierarchy() -> None:
    files = cgroups.locate(CID, V2_CGROUP, cgroups.mounts(V2_MOUNTINFO))
    scope = Path(f"/sys/fs/cgroup/system.slice/docker-{CID}.scope")
    assert files == cgroups.CgroupFiles(scope / "cpu.stat", scope, v2=True)


def test_a_process_that_is_not_the_container_is_not_taken_for_it() -> None:
    # Another machine's engine, or another PID namespace: the PID is someone else.
    other = "0::/user.slice/user-1000.slice/session-2.scope\n"
    assert cgroups.locate(CID, other, cgroups.mounts(V2_MOUNTINFO)) is None
    # A sub-tree bound in (a cgroup namespace): paths would not join onto it.
    bound = V2_MOUNTINFO.replace(" / /sys/fs/cgroup", " /docker /sys/fs/cgroup")
    assert cgroups.locate(CID, V2_CGROUP, cgroups.mounts(bound)) is None


def test_counters_are_found_where_engines_usually_put_them(tmp_path: Path) -> None:
    scope = tmp_path / "system.slice" / f"docker-{CID}.scope"
    scope.mkdir(parents=True)
    mounted = {cgroups.UNIFIED: tmp_path}
    assert cgroups.find(CID, mounted) is None  # no counters there yet
    (scope / "cpu.stat").write_text("usage_usec 1500\nuser_usec 1000\n")
    (scope / "memory.current").write_text("3145728\n")
    (scope / "memory.stat").write_text("anon 1048576\nfile 2097152\n")
    files = cgroups.find(CID, mounted)
    assert files == cgroups.CgroupFiles(scope / "cpu.stat", scope, v2=True)
    assert cgroups.read_usage(files) == (1_500_000, 1048576)  # page cache left out
    assert cgroups.find("another", mounted) is None


@pytest.fixture
def burner() -> Iterator[tuple[docker.DockerClient, str]]:
    client = engine_client(4)
    api = client.api
    host_config = api.create_host_config(nano_cpus=200_000_000, mem_limit=32 * 2**20)
    container_id = api.create_container(
        IMAGE, ["sh", "-c", "while :; do :; done"], host_config=host_config
    )["Id"]
    try:
        api.start(container_id)
        yield client, container_id
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_container(container_id, force=True)
        client.close()


def test_cgroup_readings_agree_with_the_engines_stats(
    burner: tuple[docker.DockerClient, str],
) -> None:
    client, container_id = burner
    pid = client.api.inspect_container(container_id)["State"]["Pid"]
    mounted = cgroups.mounts(Path("/proc/self/mountinfo").read_text())
    files = cgroups.locate(container_id, Path(f"/proc/{pid}/cgroup").read_text(), mounted)
    assert files is not None
    assert cgroups.find(container_id, mounted) == files  # where engines put them
    cpu_before, _ = cgroups.read_usage(files)
    engine = client.api.stats(container_id, stream=False, one_shot=True)
    cpu_after, mem_after = cgroups.read_usage(files)
    # A burning container's counter, read before and after the engine's.
    assert 0 < cpu_before <= engine["cpu_stats"]["cpu_usage"]["total_usage"] <= cpu_after
    memory = engine["memory_stats"]
    stat = memory["stats"]
    engine_mem = memory["usage"] - stat.get("total_cache", stat.get("file", 0))
    assert abs(engine_mem - mem_after) < 2**20
    assert 0 < mem_after < 32 * 2**20


async def test_the_containerizer_reads_cgroups_and_asks_the_engine_otherwise(
    burner: tuple[docker.DockerClient, str], tmp_path: Path
) -> None:
    _, container_id = burner
    local = DockerContainerizer("a", address="127.0.0.1")
    # No process information there: the container's cgroup is not found.
    remote = DockerContainerizer("a", proc=tmp_path, address="127.0.0.1")
    try:
        [(cpu_local, mem_local)] = (await local.stats([container_id])).values()
        [(cpu_remote, mem_remote)] = (await remote.stats([container_id])).values()
        [(cpu_again, _)] = (await local.stats([container_id])).values()
        assert 0 < cpu_local <= cpu_remote <= cpu_again
        assert abs(mem_local - mem_remote) < 2**20
        assert await local.stats(["no-such-container"]) == {}
    finally:
        local.close()
        remote.close()
