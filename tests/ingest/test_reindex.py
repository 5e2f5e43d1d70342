"""ingest/reindex.py: re-embedding a store with another model, safely."""
from __future__ import annotations

import pytest
from local_services import run_newsbot, write_article

from ingest.chroma_client import COLLECTION, REINDEX_COLLECTION
from ingest.embedder_base import Embedder
from ingest.errors import EmbedderMismatchError, StoreError
from ingest.pipeline import Ingester
from ingest.reindex import reindex
from ingest.settings import IngestSettings
from ingest.store import Store


class FailingAfter(Embedder):
    """A real embedder that breaks down after ``calls`` batches, as a killed reindex would stop."""

    def __init__(self, inner, calls: int):
        self.inner, self.calls = inner, calls
        self.name, self.dim = inner.name, inner.dim

    def embed_documents(self, texts):
        if self.calls == 0:
            raise RuntimeError("embedder stopped")
        self.calls -= 1
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


@pytest.fixture
def e5_store(tmp_path, e5) -> Store:
    docs = tmp_path / "docs"
    write_article(docs, "a.md", "Storm on the coast", "A storm cut power to thousands of homes on Monday.")
    write_article(docs, "b.md", "Grève à la SNCF", "Les cheminots sont en grève depuis lundi matin.")
    write_article(docs, "c.md", "Central bank", "The central bank raised its interest rates by half a point.")
    store = Store(tmp_path / "store", e5)
    Ingester(store, IngestSettings()).ingest([str(docs)], progress=False)
    assert store.count() == 3
    return store


def test_reindex_re_embeds_every_chunk_with_the_new_model(e5_store, e5, minilm):
    assert reindex(e5_store.path, minilm, batch=2) == 3
    with pytest.raises(EmbedderMismatchError):
        Store(e5_store.path, e5)
    store = Store(e5_store.path, minilm)
    assert store.stats() | {"store": ""} == {"articles": 3, "chunks": 3, "lexical_chunks": 3, "incomplete_articles": 0,
                                             "embedder": "all-MiniLM-L6-v2", "store": ""}
    [(hit, _)] = store.dense_search(minilm.embed_query("interest rates of the central bank"), k=1)
    assert hit.metadata["title"] == "Central bank"
    [(_, vec)] = [(c, v) for c, v in store.iter_chunks(include_embeddings=True) if c.id == hit.id]
    assert vec == pytest.approx(minilm.embed_documents(["Central bank\n" + hit.text])[0], abs=1e-4)


def test_interrupted_reindex_leaves_the_old_store_whole(e5_store, e5, minilm):
    with pytest.raises(RuntimeError):
        reindex(e5_store.path, FailingAfter(minilm, calls=1), batch=2)
    store = Store(e5_store.path, e5)  # still the e5 store, all of it
    assert store.count() == 3 and store.stats()["embedder"] == e5.name
    assert reindex(e5_store.path, minilm, batch=2) == 3  # a new run starts afresh and completes
    assert Store(e5_store.path, minilm).count() == 3


def test_reindex_killed_during_the_swap_is_finished_on_opening(e5_store, minilm):
    reindex(e5_store.path, minilm)
    # the state between dropping the old collection and renaming the complete new one
    e5_store._client.get_collection(COLLECTION).modify(name=REINDEX_COLLECTION)
    store = Store(e5_store.path, minilm)
    assert store.count() == 3 and store.stats()["embedder"] == "all-MiniLM-L6-v2"


def test_reindex_of_a_missing_store_is_a_store_error(tmp_path, minilm):
    with pytest.raises(StoreError, match="nothing to re-index"):
        reindex(tmp_path / "nothing", minilm)


def test_reindex_command(e5_store):
    store = str(e5_store.path)
    proc = run_newsbot("reindex", "--store", store, "--embedder", "minilm")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "re-embedded 3 chunks with all-MiniLM-L6-v2"
    proc = run_newsbot("stats", "--store", store, "--embedder", "minilm", "--json")
    assert proc.returncode == 0, proc.stderr
    assert '"chunks": 3, "lexical_chunks": 3, "incomplete_articles": 0, "embedder": "all-MiniLM-L6-v2"' in proc.stdout
