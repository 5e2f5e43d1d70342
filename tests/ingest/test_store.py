"""ingest/store.py: the on-disk Chroma store and its BM25 index, kept in step; Chroma server errors."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
from local_services import free_port, write_article

from ingest import lexical
from ingest.errors import EmbedderMismatchError, StoreError
from ingest.model import Filters
from ingest.pipeline import Ingester
from ingest.settings import IngestSettings
from ingest.store import Store


@pytest.fixture
def filled(tmp_path, e5) -> Store:
    docs = tmp_path / "docs"
    write_article(docs, "a.md", "Grève à la SNCF", "Les cheminots sont en grève depuis lundi.",
                  "Le trafic des trains régionaux est très perturbé dans toute la région depuis le début du mouvement.")
    write_article(docs, "b.md", "Storm on the coast", "A storm cut power to thousands of homes on Monday.")
    store = Store(tmp_path / "store", e5)
    Ingester(store, IngestSettings(chunk_size=100, chunk_overlap=0)).ingest([str(docs)], progress=False)
    return store


def test_store_reopens_from_disk_with_the_same_content(filled, e5):
    again = Store(filled.path, e5)
    assert again.stats()["chunks"] == 3 and again.stats()["articles"] == 2
    [(hit, score)] = again.dense_search(e5.embed_query("power cut after a storm"), k=1)
    assert hit.metadata["title"] == "Storm on the coast" and 0 < score <= 1


def test_opening_with_another_embedder_says_how_to_reindex(filled, minilm):
    with pytest.raises(EmbedderMismatchError) as exc:
        Store(filled.path, minilm)
    msg = str(exc.value)
    assert f"store {filled.path} was built with multilingual-e5-small-q4, not all-MiniLM-L6-v2" in msg
    assert "run 'newsbot reindex --embedder minilm'" in msg and "or use --embedder e5-small " in msg


def test_delete_article_removes_its_chunks_from_chroma_and_bm25(filled):
    sncf = next(a for a in filled.articles() if a["title"] == "Grève à la SNCF")
    assert filled.delete_article(sncf["id"]) == 2
    assert [a["title"] for a in filled.articles()] == ["Storm on the coast"]
    assert filled.lexical().search("cheminots") == []
    assert len(filled.lexical()) == filled.count() == 1
    assert filled.delete_article(sncf["id"]) == 0
    assert filled.delete_article("no-such-id") == 0


def test_delete_article_forgets_the_sentence_vectors_of_its_chunks(filled):
    cache = filled.sentences
    every = sorted(filled.chunk_ids())
    cache.vectors([(c.id, c.text) for c in filled.get_chunks(every)])
    assert set(every) <= cache.cached_ids()
    sncf = next(a for a in filled.articles() if a["title"] == "Grève à la SNCF")
    gone = filled.article_chunk_ids(sncf["id"])
    assert filled.delete_article(sncf["id"]) == 2
    assert not gone & cache.cached_ids() and filled.chunk_ids() <= cache.cached_ids()


def test_bm25_index_catches_up_with_a_write_killed_before_it_reached_the_index(filled, e5):
    assert filled.lexical().search("storm")
    other = Store(filled.path, e5)  # as another process would
    storm = next(a for a in other.articles() if a["title"] == "Storm on the coast")
    ids = list(other.article_chunk_ids(storm["id"]))
    with other._write_lock():  # log and write Chroma, then stop before the BM25 index, as a killed writer would
        other._begin_write(ids)
        other.collection.delete(ids=ids)
    assert filled.lexical().search("storm") == []
    assert len(filled.lexical()) == filled.count() == 2
    assert filled.lexical().generation == filled.generation()


def test_bm25_index_is_rebuilt_when_the_change_log_does_not_cover_a_write(filled, e5):
    """A writer that logged nothing (an older version) still leaves a consistent index behind it."""
    assert filled.lexical().search("storm")
    storm = next(a for a in filled.articles() if a["title"] == "Storm on the coast")
    meta = dict(filled.collection.metadata)
    filled.collection.modify(metadata=dict(meta, generation=meta["generation"] + 1))
    filled.collection.delete(ids=list(filled.article_chunk_ids(storm["id"])))
    assert Store(filled.path, e5).lexical().search("storm") == []
    assert sorted(filled.lexical().ids) == sorted(filled.chunk_ids())


def test_incomplete_articles_are_detected(filled):
    assert filled.incomplete_articles() == []
    sncf = next(a for a in filled.articles() if a["title"] == "Grève à la SNCF")
    ids = sorted(filled.article_chunk_ids(sncf["id"]))
    filled.collection.delete(ids=ids[:1])
    assert filled.incomplete_articles() == [sncf["id"]]
    assert filled.stats()["incomplete_articles"] == 1


def test_unreachable_chroma_server_is_a_store_error(tmp_path, e5):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=rf"Chroma server at {url} cannot be reached .*is 'chroma run' started"):
        Store(tmp_path, e5, chroma_url=url)
    with pytest.raises(StoreError, match="is not an http\\(s\\) URL"):
        Store(tmp_path, e5, chroma_url="localhost:8000")


def test_hung_chroma_server_fails_fast(tmp_path, e5, silent_port):
    t0 = time.monotonic()
    with pytest.raises(StoreError, match="did not answer within"):
        Store(tmp_path, e5, chroma_url=f"http://127.0.0.1:{silent_port}")
    assert time.monotonic() - t0 < 20


def test_chroma_server_store(tmp_path, e5, chroma_server):
    docs = tmp_path / "docs"
    write_article(docs, "a.md", "Storm on the coast", "A storm cut power to thousands of homes on Monday.")
    store = Store(tmp_path / "local", e5, chroma_url=chroma_server)
    report = Ingester(store, IngestSettings()).ingest([str(docs)], progress=False)
    assert report.errors == []
    assert not (tmp_path / "local" / "chroma").exists()  # vectors live on the server
    reopened = Store(tmp_path / "local", e5, chroma_url=chroma_server)
    assert reopened.stats()["store"] == chroma_server
    assert reopened.stats()["chunks"] >= 1 and reopened.lexical().search("storm")
    [(storm, _), *_] = reopened.lexical_search("storm", 10)
    source = reopened.get_chunks([storm])[0].metadata["source"]
    [(hit, _)] = reopened.dense_search(e5.embed_query("power cut"), k=1, filters=Filters(source=(source,)))
    assert hit.text.startswith("A storm cut power")


def test_an_old_bm25s_index_is_migrated_when_the_store_is_opened(filled, e5):
    import bm25s

    shutil.rmtree(filled.lexical_dir)
    old = filled.path / "lexical"  # the layout of versions before the tantivy index
    bm25 = bm25s.BM25()
    bm25.index([["storm"], ["grev"], ["trafic"]], show_progress=False)
    bm25.save(str(old / "bm25"), show_progress=False)
    (old / "chunks.json").write_text(json.dumps({"generation": filled.generation(), "ids": ["x", "y", "z"],
                                                 "metas": [{}, {}, {}]}))
    again = Store(filled.path, e5)
    assert [again.get_chunks([cid])[0].metadata["title"] for cid, _ in again.lexical().search("storm")] == \
        ["Storm on the coast"]
    assert sorted(again.lexical().ids) == sorted(again.chunk_ids())
    assert not old.exists() and again.lexical_dir.exists()


def test_a_write_analyses_only_its_own_chunks(filled, tmp_path, monkeypatch):
    analysed = []

    def counting(text, meta):
        analysed.append(text)
        return real(text, meta)

    real = lexical.chunk_tokens
    monkeypatch.setattr(lexical, "chunk_tokens", counting)
    before = filled.count()
    write_article(tmp_path / "new", "c.md", "Volcano", "The Zorglub volcano erupted on Sunday night.")
    Ingester(filled, IngestSettings(chunk_size=100, chunk_overlap=0)).ingest([str(tmp_path / "new")], progress=False)
    assert filled.count() == before + 1 and len(analysed) == 1 and "Zorglub" in analysed[0]
    assert [filled.get_chunks([c])[0].metadata["title"] for c, _ in filled.lexical().search("zorglub")] == ["Volcano"]
    sncf = next(a for a in filled.articles() if a["title"] == "Grève à la SNCF")
    filled.delete_article(sncf["id"])
    assert len(analysed) == 1 and filled.lexical().search("cheminots") == []


_KILLED_WRITER = """
import os, signal, sys
from ingest.embedders import make_embedder
from ingest.lexical import LexicalIndex
from ingest.pipeline import Ingester
from ingest.settings import IngestSettings
from ingest.store import Store

def die(self, upserts, deletes, generation, reset=False):  # Chroma is written, the BM25 index is not
    os.kill(os.getpid(), signal.SIGKILL)

store = Store(sys.argv[1], make_embedder())
LexicalIndex.apply = die
Ingester(store, IngestSettings(chunk_size=100, chunk_overlap=0)).ingest([sys.argv[2]], progress=False)
"""


@pytest.mark.slow
def test_kill_9_between_the_chroma_write_and_the_index_commit_is_repaired(filled, e5, tmp_path):
    write_article(tmp_path / "new", "c.md", "Volcano", "The Zorglub volcano erupted on Sunday night.")
    server = Store(filled.path, e5)  # a serving process, open before the write
    assert server.lexical().search("zorglub") == []
    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(filled.path), str(tmp_path / "new")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert filled.count() == 4 and server.lexical().generation == filled.generation()
    assert [server.get_chunks([c])[0].metadata["title"] for c, _ in server.lexical().search("zorglub")] == ["Volcano"]
    assert sorted(Store(filled.path, e5).lexical().ids) == sorted(filled.chunk_ids())


def test_an_index_in_another_folder_replays_the_change_log_of_a_chroma_server(tmp_path, e5, chroma_server, monkeypatch):
    """Two machines (two store folders) on one Chroma server: the second applies only what the
    first wrote, re-reading those chunks from the server."""
    writer = Store(tmp_path / "writer", e5, chroma_url=chroma_server)
    reader = Store(tmp_path / "reader", e5, chroma_url=chroma_server)
    baseline = len(reader.lexical())
    assert len(writer.lexical()) == baseline  # both indexes built (the server may hold other tests' chunks)
    analysed = []
    real = lexical.chunk_tokens
    monkeypatch.setattr(lexical, "chunk_tokens", lambda text, meta: analysed.append(text) or real(text, meta))
    write_article(tmp_path / "new", "d.md", "Eclipse", "A total eclipse of the Qwertyuiop moon was seen from Lyon.")
    Ingester(writer, IngestSettings()).ingest([str(tmp_path / "new")], progress=False)
    assert len(analysed) == 1  # by the writer
    hits = reader.lexical().search("qwertyuiop")
    assert len(analysed) == 2 and len(reader.lexical()) == baseline + 1  # the reader analysed that chunk only
    assert [reader.get_chunks([c])[0].metadata["title"] for c, _ in hits] == ["Eclipse"]
