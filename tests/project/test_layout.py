"""The engine's layout is its architecture (issue: layout): layers import downwards only, no module imports
itself back through others, and modules stay readable in one sitting.

Every ``import`` counts, also those inside functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "lmakg"

# Lower layers first; a module may import its own layer and the layers listed before it. server, graph and
# cli are siblings at the top: server may draw with graph (the workbench's colours), cli gathers everything.
LAYERS = ["knowledge", "reasoning", "chemistry", "formulations", "curation", "hypotheses", "graph", "server", "cli"]
ALLOWED = {layer: set(LAYERS[: i + 1]) for i, layer in enumerate(LAYERS)}
ALLOWED["curation"] = {"knowledge", "reasoning", "chemistry", "curation"}
ALLOWED["hypotheses"] = {"knowledge", "reasoning", "chemistry", "formulations", "hypotheses"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lmakg"):
            for alias in node.names:  # `from lmakg.x import y` may import the module lmakg.x.y
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists()
                          else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("lmakg"))
    return found


def dependency_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    for name, path in modules.items():
        graph.add_node(name)
        for target in imports(path):
            if target in modules and target != name:
                graph.add_edge(name, target)
    return graph


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_no_import_cycles() -> None:
    graph = dependency_graph()
    # a package's __init__ importing its own modules is not a cycle of modules
    cycles = [c for c in nx.simple_cycles(graph) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_layers_import_downwards_only() -> None:
    wrong = []
    for source, target in dependency_graph().edges:
        here, there = layer_of(source), layer_of(target)
        if here and there and there not in ALLOWED[here]:
            wrong.append(f"{source} -> {target}")
    assert wrong == []


def test_the_check_can_fail() -> None:
    """Negative control: an upward edge is reported."""
    assert "chemistry" not in ALLOWED["knowledge"] and "cli" not in ALLOWED["server"]


def test_modules_are_readable_in_one_sitting() -> None:
    sizes = {module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {m: n for m, n in sizes.items() if n > 600} == {}
    over = sorted((n, m) for m, n in sizes.items() if n > 400)
    assert len(over) <= 3, over


def test_every_engine_query_sits_beside_a_module_that_runs_it() -> None:
    for query in PACKAGE.rglob("*.rq"):
        name = query.stem
        users = [p for p in PACKAGE.rglob("*.py") if f'"{name}"' in p.read_text(encoding="utf-8")]
        assert users, f"{query} is not used"
        assert any(p.parent == query.parent for p in users), f"{query} sits apart from its users {users}"
