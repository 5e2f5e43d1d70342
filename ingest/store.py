"""The chunk store: a Chroma collection (embedded on disk, or a Chroma server) plus a BM25 index,
and the sentence vectors of its chunks (:mod:`ingest.sentences`). Searches take the same
:class:`~ingest.model.Filters` for both indexes (:mod:`ingest.filters` translates them); the Chroma
client and collections are :mod:`ingest.chroma_client`'s, the log of writes :mod:`ingest.change_log`'s.

Chunk ids are content hashes, so Chroma itself is the record of what has been embedded: an
unchanged chunk is never embedded twice and a changed article's stale chunks are found by
comparing ids. (LangChain's ``index()`` would need a second database, a record manager, that
must be kept consistent with Chroma under interruption; the ids make that unnecessary.)

The BM25 index (:mod:`ingest.lexical`) is derived data, kept beside the store and shared by every
process that opens the same folder. It carries the collection's *generation*, a counter bumped in
the collection's metadata before every write. A write, under the store's write lock (a file lock
beside the index, released by the system if the writer is killed):

1. records the ids it touches in the change log (:mod:`ingest.change_log`, entry
   ``generation + 1``), then bumps the generation;
2. writes Chroma (upsert, relabel, delete);
3. applies the same chunks to the BM25 index and records the new generation, in one commit;
4. marks its change-log entry done.

A process whose index is behind the collection's generation (its writer was killed, or wrote into
another folder's index) and who can take the write lock re-reads only the logged ids from Chroma
and applies them; it rebuilds the whole index only when the log does not cover the gap (a
collection written by an older version, a re-index). Serving processes thus pick up a write by
reloading the shared index, without a rebuild.
"""
from __future__ import annotations

import fcntl
import shutil
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, cast
from urllib.parse import urlparse

from .change_log import ChangeLog
from .chroma_client import COLLECTION, built_with, connect, recover_reindex, retire
from .errors import EmbedderMismatchError
from .filters import chroma_where, lexical_allowed
from .lexical import LexicalIndex, LexicalSnapshot
from .model import ArticleSummary, Chunk, ChunkMetadata, Filters
from .sentences import SEPARATE, SentenceVectors, sentence_method
from .settings import StoreSettings

_BATCH = 2000
LEXICAL_DIR = "lexical-tantivy"  # beside chroma/ in an embedded store's folder
_EPOCHS: dict[str, int] = {}  # per embedded Chroma folder: how many times this process reopened it


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the store."""

    id: str
    text: str
    metadata: ChunkMetadata


class Store:
    """Chunks with their vectors (Chroma) and their BM25 index, kept in step."""

    def __init__(self, path: Path | str, embedder, chroma_url: str = "", collection: str = COLLECTION,
                 client=None):
        self.path = Path(path)
        self.embedder = embedder
        self.chroma_url = chroma_url
        self._client = client or connect(self.path, chroma_url)
        self._name = collection
        self._lock = threading.RLock()
        self._write_lock_held = False
        if collection == COLLECTION:
            recover_reindex(self._client)
        self._collection = self._client.get_or_create_collection(
            collection,
            metadata={"embedder": embedder.name, "dim": int(embedder.dim), "generation": 0,
                      "sentences": sentence_method(embedder)},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        built_with = (self._collection.metadata or {}).get("embedder")
        if built_with and built_with != embedder.name:
            from .embedders import config_name

            raise EmbedderMismatchError(
                f"store {self.location} was built with {built_with}, not {embedder.name}: "
                f"run 'newsbot reindex --embedder {config_name(embedder.name)}' to re-embed it with "
                f"{embedder.name}, or use --embedder {config_name(built_with)} (NEWSBOT_EMBEDDER)"
            )
        self._change_log: ChangeLog | None = None
        self._lexical: LexicalIndex | None = None
        self._sentences: SentenceVectors | None = None
        self._seen_generation = self.generation()
        self._epoch = _EPOCHS.get(str(self.path / "chroma"), 0)

    @property
    def sentence_method(self) -> str:
        """How this store's sentence vectors are made (:func:`~ingest.sentences.sentence_method`);
        a store from before the record has ``separate`` ones."""
        return str((self.collection.metadata or {}).get("sentences") or SEPARATE)

    @property
    def sentences(self) -> SentenceVectors:
        """The sentence vectors of this store's chunks, kept on disk beside it (see
        :mod:`ingest.sentences`): written by the ingester, computed for the chunks still missing
        when a search first reads them, pruned with the chunks."""
        with self._lock:
            if self._sentences is None:
                self._sentences = SentenceVectors(self.embedder, SentenceVectors.folder_beside(
                    self.path, self.embedder.name, self.sentence_method), self.sentence_method, titles=self.chunk_titles)
            return self._sentences

    def prune_sentences(self) -> int:
        """Forget the sentence vectors of chunks no longer in the store; returns how many."""
        return self.sentences.prune(self.chunk_ids())

    @classmethod
    def open(cls, settings: StoreSettings, embedder=None) -> "Store":
        """The store ``settings`` name (its folder, or its Chroma server), with ``embedder``, else the
        configured one, else the one the store was built with (a store made by an earlier default
        keeps working), else the default for a new store; one Chroma client reads which and serves."""
        from .embedders import DEFAULT_EMBEDDER, config_name, make_embedder

        path, url = Path(settings.store), settings.chroma_url
        client = connect(path, url) if url or (path / "chroma").exists() else None
        if embedder is None:
            name = settings.embedder or config_name(built_with(client) if client else "") or DEFAULT_EMBEDDER
            embedder = make_embedder(name, settings.model_load_timeout)
        return cls(path, embedder, chroma_url=url, client=client)

    def close(self) -> None:
        """Release Chroma's client (its files, connections and threads); the store is not used after."""
        self._client.close()

    # ---- another process's writes (embedded store) -------------------------------------------
    @property
    def collection(self):
        """The chunk collection, as this process last opened it; an embedded store is reopened
        first when another process has written into it since (see :meth:`_fresh`)."""
        self._fresh()
        return self._collection

    @collection.setter
    def collection(self, value) -> None:
        self._collection = value

    def _fresh(self) -> None:
        """Embedded Chroma keeps its vector index in memory, per process: after another process
        of this folder wrote (``newsbot ingest`` beside ``newsbot serve``, or such a writer killed
        with -9), this process's search would miss or fail on the new ids ("Error finding id").
        So when the generation has moved past the last one this process saw or wrote, and no
        writer holds the folder's write lock (a killed one has lost it), Chroma is reopened from
        disk; while another process is writing, the copy opened before is used."""
        if self.chroma_url or self._write_lock_held:
            return
        key = str(self.path / "chroma")
        if _EPOCHS.get(key, 0) != self._epoch:  # another Store of this process reopened it
            return self._reopen(rebind=True)
        if self.generation() == self._seen_generation:
            return
        with self._write_lock(wait=False) as held:
            if held and self.generation() != self._seen_generation:
                self._reopen()

    def _reopen(self, rebind: bool = False) -> None:
        """A new Chroma client on this folder with a system of its own (Chroma shares one per
        path and process); the old system is stopped once the calls under way on it are over
        (:func:`~ingest.chroma_client.retire`)."""
        with self._lock:
            old = self._client
            key = str(self.path / "chroma")
            if not rebind:
                retire(old)
                _EPOCHS[key] = _EPOCHS.get(key, 0) + 1
            old._closed = True  # its system is stopped by retire(), not by a later close()
            self._client = connect(self.path, "")
            self._collection = self._client.get_collection(self._name, embedding_function=None)
            self._change_log = None
            self._epoch = _EPOCHS.get(key, 0)
            self._seen_generation = self.generation()

    @property
    def location(self) -> str:
        return self.chroma_url or str(self.path)

    @property
    def lexical_dir(self) -> Path:
        return self.path / f"{LEXICAL_DIR}{self._lexical_suffix}"

    @property
    def _old_lexical_dir(self) -> Path:
        """Where versions before the tantivy index kept a bm25s index (migrated on first use)."""
        return self.path / f"lexical{self._lexical_suffix}"

    @property
    def _lexical_suffix(self) -> str:
        return "" if not self.chroma_url else "-" + urlparse(self.chroma_url).netloc.replace(":", "_")

    @property
    def _changes(self) -> ChangeLog:
        """The change log: one record per generation, with the chunk ids that write touched."""
        if self._change_log is None:
            self._change_log = ChangeLog(self._client, self._name, self._writer_id)
        return self._change_log

    @property
    def _writer_id(self) -> str:
        """Names this folder's writers in the change log (a write lock guards this folder only)."""
        return f"{socket.gethostname()}:{self.lexical_dir.resolve()}"

    # ---- generation bookkeeping -------------------------------------------------------------
    def generation(self) -> int:
        col = self._client.get_collection(self._name, embedding_function=None)
        return int((col.metadata or {}).get("generation", 0))

    @contextmanager
    def _write_lock(self, wait: bool = True):
        """This folder's write lock (a file lock, so a killed holder releases it); yields whether it
        is held (``wait=False`` does not wait for another holder). Re-entrant within a process."""
        with self._lock:
            if self._write_lock_held:
                yield True
                return
            path = self.lexical_dir.with_name(self.lexical_dir.name + ".lock")
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a+b") as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
                except BlockingIOError:
                    yield False
                    return
                self._write_lock_held = True
                try:
                    yield True
                finally:
                    self._write_lock_held = False
                    fcntl.flock(f, fcntl.LOCK_UN)

    def _begin_write(self, ids: list[str]) -> int:
        """Log the chunk ids a write touches under the next generation, then bump the generation
        (read afresh: another process may have bumped it since we opened)."""
        meta = dict(self._client.get_collection(self._name, embedding_function=None).metadata or {})
        gen = int(meta.get("generation", 0)) + 1
        self._changes.begin(gen, ids)
        meta["generation"] = gen
        self.collection.modify(metadata=meta)
        return gen

    @contextmanager
    def _writing(self, ids: list[str]):
        """One logged write: yields the new generation and the BM25 index (current before the write)."""
        with self._write_lock():
            if not self.chroma_url and self.generation() != self._seen_generation:
                self._reopen()  # never write through a copy older than another process's write
            index = self._current_lexical()
            gen = self._begin_write(ids)
            yield gen, index
            self._changes.end(gen, ids)
            self._seen_generation = gen

    # ---- reads --------------------------------------------------------------------------------
    def count(self) -> int:
        return self.collection.count()

    def existing_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), _BATCH):
            found.update(self.collection.get(ids=ids[i : i + _BATCH], include=[])["ids"])
        return found

    def existing_metadata(self, ids: list[str]) -> dict[str, dict]:
        """Stored metadata of those of ``ids`` that are in the store."""
        found: dict[str, dict] = {}
        for i in range(0, len(ids), _BATCH):
            res = self.collection.get(ids=ids[i : i + _BATCH], include=["metadatas"])
            found.update((cid, m or {}) for cid, m in zip(res["ids"], res["metadatas"]))
        return found

    def article_chunk_ids(self, article_id: str) -> set[str]:
        return set(self.collection.get(where={"article_id": article_id}, include=[])["ids"])

    def get_chunks(self, ids: list[str]) -> list[StoredChunk]:
        """Chunks by id, in the order asked (missing ids are left out)."""
        if not ids:
            return []
        res = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {i: StoredChunk(i, d, _read_meta(m)) for i, d, m in zip(res["ids"], res["documents"], res["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def iter_chunks(self, include_embeddings: bool = False) -> Iterator[tuple[StoredChunk, list | None]]:
        include = ["documents", "metadatas"] + (["embeddings"] if include_embeddings else [])
        offset = 0
        while True:
            res = self.collection.get(include=include, limit=_BATCH, offset=offset)
            if not res["ids"]:
                return
            embs = res.get("embeddings") if include_embeddings else None
            for n, (i, d, m) in enumerate(zip(res["ids"], res["documents"], res["metadatas"])):
                yield StoredChunk(i, d, _read_meta(m)), (list(embs[n]) if embs is not None else None)
            offset += len(res["ids"])

    def _iter_metadatas(self) -> Iterator[dict]:
        """Every chunk's metadata, read in pages."""
        offset = 0
        while True:
            res = self.collection.get(include=["metadatas"], limit=_BATCH, offset=offset)
            if not res["ids"]:
                return
            for m in res["metadatas"]:
                yield m or {}
            offset += len(res["ids"])

    def articles(self) -> list[ArticleSummary]:
        """One summary per article: id, title, source, url, published, lang, chunk count."""
        arts: dict[str, ArticleSummary] = {}
        for m in self._iter_metadatas():
            aid = m.get("article_id", "")
            a = arts.get(aid)
            if a is None:
                arts[aid] = ArticleSummary(title=m.get("title", ""), source=m.get("source", ""), url=m.get("url", ""),
                                           published=m.get("published", ""), lang=m.get("lang", ""), id=aid, chunks=1)
            else:
                a["chunks"] += 1
        return sorted(arts.values(), key=lambda a: (a["published"] or "", a["title"]), reverse=True)

    def incomplete_articles(self) -> list[str]:
        """Ids of articles whose stored chunks are not exactly one whole version of the article
        (a missing chunk, or chunks of two versions); an ingest run again repairs them."""
        seen: dict[str, tuple[set, set, set]] = {}
        for m in self._iter_metadatas():
            hashes, indexes, totals = seen.setdefault(m.get("article_id", ""), (set(), set(), set()))
            hashes.add(m.get("article_hash", ""))
            indexes.add(m.get("index"))
            totals.add(m.get("article_chunks"))
        bad = []
        for aid, (hashes, indexes, totals) in seen.items():
            n = len(indexes)
            whole = indexes == set(range(n)) and totals <= {n, None}
            if len(hashes) != 1 or not whole:
                bad.append(aid)
        return sorted(bad)

    def stats(self) -> dict:
        """Counts, and whether Chroma, the BM25 index and every article are in step."""
        return {
            "articles": len(self.articles()),
            "chunks": self.count(),
            "lexical_chunks": len(self.lexical()),
            "incomplete_articles": len(self.incomplete_articles()),
            "embedder": self.embedder.name,
            "store": self.location,
        }

    def chunk_titles(self, ids: list[str]) -> dict[str, str]:
        """The article title of each of the chunks ``ids`` found in the store."""
        return {ch.id: str(ch.metadata.get("title", "")) for ch in self.get_chunks(ids)}

    def dense_search(self, vector: list[float], k: int, filters: Filters | None = None) -> list[tuple[StoredChunk, float]]:
        """Top ``k`` chunks under ``filters`` by cosine similarity to ``vector`` (similarity = 1 - distance)."""
        where = chroma_where(filters)
        n = self.count()
        if n == 0 or k <= 0:
            return []
        try:
            res = self._query(vector, min(k, n), where)
        except Exception as exc:  # chromadb.errors.InternalError: a write of another process under way
            if self.chroma_url or type(exc).__name__ != "InternalError":
                raise
            self._reopen()  # what a fresh process would see: the store as last committed
            res = self._query(vector, min(k, self.count()), where)
        return [(StoredChunk(i, d, _read_meta(m)), 1.0 - float(dist))
                for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])]

    def _query(self, vector: list[float], n: int, where: dict | None) -> dict:
        return self.collection.query(query_embeddings=[vector], n_results=n, where=where or None,
                                     include=["documents", "metadatas", "distances"])

    # ---- writes -------------------------------------------------------------------------------
    def upsert(self, chunks: list[Chunk], vectors: list[list[float]], stale_ids: Iterable[str] = (),
               relabelled: Iterable[Chunk] = ()) -> None:
        """Add ``chunks`` (one or more whole articles), give ``relabelled`` chunks (same text and
        vector) their new metadata, and delete ``stale_ids``, in that order: an interruption
        leaves an article with too many chunks, repaired by the next run, never with too few.
        The BM25 index gets the same changes (only these chunks are analysed)."""
        stale = list(stale_ids)
        relabelled = list(relabelled)
        if not chunks and not stale and not relabelled:
            return
        touched = [c.id for c in chunks] + [c.id for c in relabelled] + stale
        with self._writing(touched) as (gen, index):
            if chunks:
                self.collection.upsert(
                    ids=[c.id for c in chunks],
                    embeddings=vectors,
                    documents=[c.text for c in chunks],
                    metadatas=[_clean_meta(c.metadata) for c in chunks],
                )
            if relabelled:
                self.collection.update(ids=[c.id for c in relabelled],
                                       metadatas=[_clean_meta(c.metadata) for c in relabelled])
            if stale:
                self.collection.delete(ids=stale)
            index.apply([(c.id, c.text, _clean_meta(c.metadata)) for c in chunks + relabelled], stale, gen)

    def delete_article(self, article_id: str) -> int:
        """Remove an article's chunks, and their sentence vectors; returns how many chunks were removed."""
        ids = list(self.article_chunk_ids(article_id))
        if ids:
            with self._writing(ids) as (gen, index):
                self.collection.delete(ids=ids)
                index.apply([], ids, gen)
            self.prune_sentences()
        return len(ids)

    def write_embedded(self, ids: list[str], vectors: list, documents: list[str], metadatas: list[dict]) -> None:
        """Write chunks already embedded, as they are, leaving the BM25 index alone: a re-index copies
        a whole store into its own collection this way, then the index is rebuilt once."""
        self.collection.upsert(ids=ids, embeddings=vectors, documents=documents, metadatas=metadatas)

    def take_over(self, generation: int) -> None:
        """Make this complete re-index collection the store's own: marked complete at ``generation``
        (later than the old one's, so no saved BM25 index is taken as current), the old collection
        dropped, this one renamed. A crash in between is finished by the next opening of the store."""
        meta = dict(self.collection.metadata or {})
        meta.update(generation=generation, reindex_complete=True)
        self.collection.modify(metadata=meta)
        self._client.delete_collection(COLLECTION)
        self.collection.modify(name=COLLECTION)
        self._name = COLLECTION

    def chunk_ids(self) -> set[str]:
        """Every chunk id in Chroma."""
        out: set[str] = set()
        offset = 0
        while True:
            res = self.collection.get(include=[], limit=_BATCH, offset=offset)
            if not res["ids"]:
                return out
            out.update(res["ids"])
            offset += len(res["ids"])

    # ---- lexical index ------------------------------------------------------------------------
    def lexical(self) -> LexicalIndex:
        """The shared BM25 index, brought up to the collection's generation: a commit of another
        process is picked up by a reload; a gap nobody is filling (a killed writer, a writer into
        another folder's index) is replayed from the change log. While another process of this
        folder is writing, the index of the generation before is served."""
        with self._lock:
            gen = self.generation()
            if self._lexical is None:
                self._lexical = self._open_lexical()
            index = self._lexical
            if index.generation != gen:
                index.reload()
            if index.generation != gen:
                with self._write_lock(wait=False) as held:
                    if held and self._changes.gap_is_abandoned(index.generation, gen):
                        self._catch_up(index, gen)
            return index

    def lexical_snapshot(self) -> LexicalSnapshot:
        """The BM25 index as :meth:`lexical` brings it up to date, frozen: what the searches and
        the idf of one question read."""
        return self.lexical().snapshot()

    def lexical_search(self, query: str, k: int, filters: Filters | None = None,
                       snapshot: LexicalSnapshot | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, BM25 score) pairs under ``filters``, in ``snapshot`` (default: the
        index now)."""
        snapshot = snapshot if snapshot is not None else self.lexical_snapshot()
        return snapshot.search(query, k, lexical_allowed(filters))

    def refresh_lexical(self) -> LexicalIndex:
        """Rebuild the BM25 index from every chunk in Chroma (after a re-index, or to repair it)."""
        with self._write_lock():
            if self._lexical is None:
                self._lexical = self._open_lexical()
            self._rebuild_lexical(self._lexical, self.generation())
            return self._lexical

    def _open_lexical(self) -> LexicalIndex:
        """The index in :attr:`lexical_dir`; built from Chroma when missing or of an older format
        (a bm25s index left by an earlier version is then removed)."""
        index = LexicalIndex.open(self.lexical_dir)
        if index is not None:
            return index
        with self._write_lock():
            index = LexicalIndex.open(self.lexical_dir)  # another process may have built it meanwhile
            if index is None:
                index = LexicalIndex.create(self.lexical_dir, generation=-1)
                self._rebuild_lexical(index, self.generation())
                shutil.rmtree(self._old_lexical_dir, ignore_errors=True)
            return index

    def _current_lexical(self) -> LexicalIndex:
        """Under the write lock: the index, caught up with the collection's generation."""
        if self._lexical is None:
            self._lexical = self._open_lexical()
        index = self._lexical
        index.reload()
        gen = self.generation()
        if index.generation != gen:
            self._catch_up(index, gen)
        return index

    def _catch_up(self, index: LexicalIndex, gen: int) -> None:
        """Under the write lock: apply the logged changes from the index's generation to ``gen``
        (re-reading those chunks from Chroma), or rebuild when the log does not cover the gap."""
        if gen < index.generation:
            return self._rebuild_lexical(index, gen)
        ids = self._changes.changed_ids(index.generation, gen)
        if ids is None:
            return self._rebuild_lexical(index, gen)
        present: list = []
        for i in range(0, len(ids), _BATCH):
            got = self.collection.get(ids=ids[i:i + _BATCH], include=["documents", "metadatas"])
            present.extend(zip(got["ids"], got["documents"], (m or {} for m in got["metadatas"])))
        found = {cid for cid, _, _ in present}
        index.apply(present, [cid for cid in ids if cid not in found], gen)

    def _rebuild_lexical(self, index: LexicalIndex, gen: int) -> None:
        """Under the write lock: re-index every chunk of Chroma, in one commit."""
        rows = ((ch.id, ch.text, ch.metadata) for ch, _ in self.iter_chunks())
        index.apply(rows, [], gen, reset=True)


def _read_meta(meta: Mapping[str, Any] | None) -> ChunkMetadata:
    """A chunk's metadata as Chroma returns it (what :func:`_clean_meta` wrote)."""
    return cast(ChunkMetadata, dict(meta or {}))


def _clean_meta(meta: Mapping[str, Any]) -> dict:
    """Chroma metadata values must be str, int, float or bool (no None)."""
    out = {}
    for k, v in meta.items():
        if v is None:
            v = ""
        elif not isinstance(v, (str, int, float, bool)):
            v = str(v)
        out[k] = v
    return out
