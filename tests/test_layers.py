"""The layers, read from the code (nothing imported): which package may import which, and no cycles.

    ingest/  ──►  bot/  ──►  evaluation/  ──►  ui/ (the servers and the command line)
                                                training/ (outside the wheel) on the side

Every import counts, at module level or inside a function: a late import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("ingest", "bot", "evaluation", "ui", "training")

# What each package may import of the project (itself always).
ALLOWED = {
    "ingest": set(),
    "bot": {"ingest"},
    "evaluation": {"ingest", "bot"},
    "ui": {"ingest", "bot"},
    "training": {"ingest", "bot", "evaluation"},
}
# The command line is the one part of ui/ that reaches evaluation/ (to register `eval` and `bench`).
COMMAND_LINE = {"ui.cli", "ui.eval_commands"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for top in PACKAGES for p in (REPO / top).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets = set()
        for name in imported_names(path, module):
            while name and name not in files:  # `from bot.answer_types import Answer` is bot.answer_types
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def breaches(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, targets in sorted(graph.items()):
        top = module.split(".")[0]
        allowed = ALLOWED[top] | {top} | ({"evaluation"} if module in COMMAND_LINE else set())
        out += [f"{module} imports {t}" for t in sorted(targets) if t.split(".")[0] not in allowed]
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_every_import_runs_one_way(graph):
    assert len(graph) > 40, "the packages were not found"
    assert breaches(graph) == []


def test_no_module_cycles(graph):
    assert cycles(graph) == []


def test_the_checks_catch_a_backward_import_and_a_cycle():
    """The rules fail where they should: a backward arrow and a two-module cycle are both reported."""
    bad = {"ingest.store": {"bot.answer_types"}, "bot.answer_types": {"ingest.store"}, "bot.newsbot": {"ui.server"},
           "ui.server": {"evaluation.metrics"}, "ui.cli": {"evaluation.qa"}}
    assert breaches(bad) == ["bot.newsbot imports ui.server", "ingest.store imports bot.answer_types",
                             "ui.server imports evaluation.metrics"]
    assert cycles(bad) == [["bot.answer_types", "ingest.store"]]


def test_the_wheel_ships_no_training_code():
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not any(pattern.startswith("training") for pattern in include)
    assert {"bot*", "ingest*", "ui*"} <= set(include)
