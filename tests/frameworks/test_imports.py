"""The frameworks' modules (SDK, offer-service, offer-batch) import one
another in one direction only: no cycle, counting imports made inside
functions, under TYPE_CHECKING or under `if __name__ == "__main__"`."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The modules of `modules` that the file at `path` imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module in modules:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
    return found


def import_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle in `graph` (module -> modules it imports), or []."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as err:
        return list(err.args[1])
    return []


def test_framework_modules_import_without_a_cycle() -> None:
    paths = list((ROOT / "frameworks").rglob("*.py"))
    modules = {_module(p) for p in paths}
    graph = {_module(p): _imports(p, modules) for p in paths}
    assert graph["frameworks.service.scheduler"], "the scan found nothing: has the package moved?"
    assert "frameworks.service.store" in graph["frameworks.service.migrate"]
    assert import_cycle(graph) == []


def test_a_two_module_cycle_is_found() -> None:
    cycle = import_cycle({"a.store": {"a.migrate"}, "a.migrate": {"a.store"}})
    assert sorted(set(cycle)) == ["a.migrate", "a.store"]
