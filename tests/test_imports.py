"""No import circle in `xner/`: every `import` statement of the package, at module level or inside a function
(a deferred import is still a dependency), read from the source with `ast`, must form an acyclic graph."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "xner"
# Being removed by the "core" helper (transfer/ untied: the per-cell toolkit leaves variants.py): until that lands,
# this one circle is reported as a known failure, and any other circle fails the test.
KNOWN = {frozenset({"xner.transfer.augmented", "xner.transfer.variants"})}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the xner modules it imports (`from a import b` counts `a.b` when that is a module, else `a`)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Circles found one at a time (graphlib names one), each broken at its first edge before looking again."""
    graph = {k: set(v) for k, v in graph.items()}
    found = []
    while True:
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as err:
            cycle = err.args[1]  # [a, b, ..., a]: each node depends on the next one
            found.append(cycle)
            graph[cycle[1]].discard(cycle[0])
            continue
        return found


def test_the_graph_sees_deferred_and_from_imports():
    graph = import_graph()
    assert "xner.model.persistence" in graph["xner"]  # `load()` imports it inside the function
    assert "xner.experiments.results" in graph["xner.experiments.tables"]


def test_cycles_finds_every_circle():
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}, "e": set()}) != []
    assert len(cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}})) == 2
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_xner():
    found = [sorted(set(c)) for c in cycles(import_graph())]
    unknown = [c for c in found if frozenset(c) not in KNOWN]
    assert not unknown, "import circle(s): " + "; ".join(" <-> ".join(c) for c in unknown)
    if found:
        pytest.xfail("known circle, being removed by helper core: " + "; ".join(" <-> ".join(c) for c in found))
