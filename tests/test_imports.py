"""No import circle in `xner/`, and each stage imports only from stages to its left: every `import` statement of
the package, at module level or inside a function (a deferred import is still a dependency), read from the
source with `ast`, must form an acyclic graph that respects the pipeline order."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "xner"
# The pipeline, left to right (DEVELOPERS.md): a module may import its own stage, stages to its left and the
# shared utilities (top-level modules such as xner.errors, xner.io, xner.metrics, xner.threads).
STAGES = ("data", "embeddings", "align", "model", "training", "transfer", "experiments", "serve", "cli")


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
    assert not found, "import circle(s): " + "; ".join(" <-> ".join(c) for c in found)


def stage_of(module: str) -> int | None:
    parts = module.split(".")
    return STAGES.index(parts[1]) if len(parts) > 1 and parts[1] in STAGES else None


def stage_violations(graph: dict[str, set[str]]) -> list[str]:
    """`a -> b` for each import of a module `b` of a stage to the right of `a`'s stage."""
    return [f"{a} -> {b}" for a, targets in sorted(graph.items()) for b in sorted(targets)
            if stage_of(a) is not None and stage_of(b) is not None and stage_of(b) > stage_of(a)]


def test_stages_import_only_from_their_left():
    assert stage_violations({"xner.model.tagger": {"xner.transfer.cell", "xner.data.conll"}}) == \
        ["xner.model.tagger -> xner.transfer.cell"]  # the check can fail
    assert stage_violations(import_graph()) == []
