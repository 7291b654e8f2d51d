from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cluster import Cluster
from tests.support.postgres import PostgresServer, postgres_problem

# Every master the tests start, in-process or as a process, checks its
# invariants where its state changes (master/invariants.py).
os.environ.setdefault("OFFER_CHECK_INVARIANTS", "1")
# Every daemon a test starts serves HTTP (/metrics, /health) on a free port
# of its own unless the test names one: tests run side by side.
os.environ.setdefault("OFFER_HTTP_PORT", "0")

# Names whose use in a test, its fixtures or its module's helpers means the
# test needs a Docker engine: an agent (every agent talks to the engine), or
# the engine itself.
ENGINE_NAMES = frozenset(
    {
        "start_agent",
        "start_agent_on",
        "restart_agent",
        "docker",
        "engine_client",
        "DockerContainerizer",
        "PrivateEngine",
    }
)


def _names_used(code: types.CodeType, module: types.ModuleType, seen: set[str]) -> set[str]:
    """The global and attribute names `code` uses, with those of its nested
    functions and lambdas and of the functions of `module` it calls."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_used(const, module, seen)
    for name in code.co_names:
        helper = vars(module).get(name)
        if (
            isinstance(helper, types.FunctionType)
            and helper.__module__ == module.__name__
            and name not in seen
        ):
            seen.add(name)
            names |= _names_used(helper.__code__, module, seen)
    return names


def _needs_engine(item: pytest.Function) -> bool:
    functions = [item.function]
    for definitions in item._fixtureinfo.name2fixturedefs.values():
        functions += [d.func for d in definitions if isinstance(d.func, types.FunctionType)]
    for function in functions:
        module = sys.modules[function.__module__]
        if _names_used(function.__code__, module, set()) & ENGINE_NAMES:
            return True
    return False


# Fixtures that start processes: a test using one is slower than a unit test.
PROCESS_FIXTURES = frozenset({"cluster", "running_cluster", "masters", "postgres", "db_url"})


def _weight(item: pytest.Item) -> int:
    """0: the test needs the engine (daemons, containers: seconds to a
    minute); 1: it starts other processes (through a fixture, or its
    module runs commands); 2: it runs in this process."""
    if item.get_closest_marker("docker"):
        return 0
    if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
        return 1
    module = getattr(item, "module", None)
    return 1 if hasattr(module, "subprocess") else 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks `docker` every test that needs the engine, so that
    `pytest -m "not docker"` runs the rest on a machine without one.

    Modules with the slowest tests go first, whole and in their own order:
    with -n, pytest-xdist (`--dist loadfile --no-loadscope-reorder`, set in
    pyproject.toml) hands whole files to the workers in this order as each
    frees up, so the run ends on files of unit tests on both workers, not
    with one worker idle while the other runs a file of minute-long
    end-to-end tests."""
    for item in items:
        if isinstance(item, pytest.Function) and _needs_engine(item):
            item.add_marker(pytest.mark.docker)
    weight: dict[Path, int] = {}
    for item in items:
        weight[item.path] = min(weight.get(item.path, 2), _weight(item))
    items.sort(key=lambda item: weight[item.path])


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    """A real cluster, started piece by piece by the test. Only a test
    marked `docker` may start agents in it."""
    c = Cluster(tmp_path, engine=request.node.get_closest_marker("docker") is not None)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def running_cluster(cluster: Cluster) -> Cluster:
    """A master and one agent with 2 cpus and 1024 MiB."""
    cluster.start_master()
    cluster.start_agent()
    return cluster


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server per test worker (made and removed by the tests)."""
    if problem := postgres_problem():
        pytest.skip(f"PostgreSQL tests: {problem}")
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind the stores run on: a SQLite file, and a
    database of its own on the workers' PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()
