"""Every third-party module the package imports is declared in pyproject.toml.

A module that happens to be installed on a developer's machine but is not declared breaks a
fresh install (lxml's html.clean extra was one); this reads the imports from the source.
"""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "ingest", "ui")


def _imported_top_level_modules() -> set[str]:
    names = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - set(PACKAGES)


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in reqs}


def test_every_imported_module_is_declared():
    dists = packages_distributions()
    declared = _declared() | {"torch"}  # torch: installed first, CPU build (README)
    missing = {}
    for module in sorted(_imported_top_level_modules()):
        owners = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not owners & declared:
            missing[module] = sorted(owners)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_html_cleaner_is_installed():
    # trafilatura needs it for every HTML page, feed and URL; lxml >= 5.2 no longer ships it.
    import lxml.html.clean  # noqa: F401
