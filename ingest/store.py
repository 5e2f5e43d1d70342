"""The chunk store: a Chroma collection (embedded on disk, or a Chroma server) plus a BM25 index.

Chunk ids are content hashes, so Chroma itself is the record of what has been embedded: an
unchanged chunk is never embedded twice and a changed article's stale chunks are found by
comparing ids. (LangChain's ``index()`` would need a second database, a record manager, that
must be kept consistent with Chroma under interruption; the ids make that unnecessary.)

The BM25 index is derived data: it carries the collection's *generation*, a counter bumped in the
collection's metadata before every write. An index whose generation differs is rebuilt from
Chroma, so a killed ingest never leaves the two out of step.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urlparse

from .errors import EmbedderMismatchError, StoreError
from .lexical import LexicalIndex
from .model import Chunk

COLLECTION = "newsbot"
REINDEX_COLLECTION = COLLECTION + "-reindex"
_BATCH = 2000


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the store."""

    id: str
    text: str
    metadata: dict


def _client(path: Path, chroma_url: str, timeout: float = 10.0):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        u = urlparse(chroma_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise StoreError(f"Chroma URL '{chroma_url}' is not an http(s) URL such as http://127.0.0.1:8000")
        _check_heartbeat(chroma_url, timeout)
        try:
            return chromadb.HttpClient(host=u.hostname, port=u.port or (443 if u.scheme == "https" else 8000),
                                       ssl=u.scheme == "https", settings=settings)
        except Exception as exc:
            raise StoreError(f"Chroma server at {chroma_url} cannot be reached ({exc}); is 'chroma run' started?") from exc
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path / "chroma"), settings=settings)


def _check_heartbeat(chroma_url: str, timeout: float) -> None:
    """Fail in seconds when the Chroma server is down or hung (chromadb's client has no timeout)."""
    import httpx

    try:
        resp = httpx.get(chroma_url.rstrip("/") + "/api/v2/heartbeat", timeout=timeout)
        resp.raise_for_status()
    except httpx.TimeoutException:
        raise StoreError(f"Chroma server at {chroma_url} did not answer within {timeout:g} s; "
                         "is 'chroma run' started and reachable?") from None
    except httpx.HTTPError as exc:
        raise StoreError(f"Chroma server at {chroma_url} cannot be reached ({type(exc).__name__}: {exc}); "
                         "is 'chroma run' started?") from None


def _recover_reindex(client) -> None:
    """Finish a ``reindex`` killed between dropping the old collection and renaming the new one."""
    names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    if COLLECTION in names or REINDEX_COLLECTION not in names:
        return
    new = client.get_collection(REINDEX_COLLECTION, embedding_function=None)
    if (new.metadata or {}).get("reindex_complete"):
        new.modify(name=COLLECTION)


class Store:
    """Chunks with their vectors (Chroma) and their BM25 index, kept in step."""

    def __init__(self, path: Path | str, embedder, chroma_url: str = "", collection: str = COLLECTION):
        self.path = Path(path)
        self.embedder = embedder
        self.chroma_url = chroma_url
        self._client = _client(self.path, chroma_url)
        self._name = collection
        self._lock = threading.RLock()
        if collection == COLLECTION:
            _recover_reindex(self._client)
        self.collection = self._client.get_or_create_collection(
            collection,
            metadata={"embedder": embedder.name, "dim": int(getattr(embedder, "dim", 0)), "generation": 0},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        built_with = (self.collection.metadata or {}).get("embedder")
        if built_with and built_with != embedder.name:
            from .embedders import config_name

            raise EmbedderMismatchError(
                f"store {self.location} was built with {built_with}, not {embedder.name}: "
                f"run 'newsbot reindex --embedder {config_name(embedder.name)}' to re-embed it with "
                f"{embedder.name}, or use --embedder {config_name(built_with)} (NEWSBOT_EMBEDDER)"
            )
        self._lexical: LexicalIndex | None = None

    @property
    def location(self) -> str:
        return self.chroma_url or str(self.path)

    @property
    def lexical_dir(self) -> Path:
        suffix = "" if not self.chroma_url else "-" + urlparse(self.chroma_url).netloc.replace(":", "_")
        return self.path / f"lexical{suffix}"

    # ---- generation bookkeeping -------------------------------------------------------------
    def generation(self) -> int:
        col = self._client.get_collection(self._name, embedding_function=None)
        return int((col.metadata or {}).get("generation", 0))

    def _bump_generation(self) -> int:
        # Read afresh: another process (a concurrent ingest) may have bumped it since we opened.
        meta = dict(self._client.get_collection(self._name, embedding_function=None).metadata or {})
        meta["generation"] = int(meta.get("generation", 0)) + 1
        self.collection.modify(metadata=meta)
        return meta["generation"]

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
        by_id = {i: StoredChunk(i, d, m or {}) for i, d, m in zip(res["ids"], res["documents"], res["metadatas"])}
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
                yield StoredChunk(i, d, m or {}), (list(embs[n]) if embs is not None else None)
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

    def articles(self) -> list[dict]:
        """One summary per article: id, title, source, url, published, lang, chunk count."""
        arts: dict[str, dict] = {}
        for m in self._iter_metadatas():
            aid = m.get("article_id", "")
            a = arts.get(aid)
            if a is None:
                arts[aid] = {k: m.get(k, "") for k in ("title", "source", "url", "published", "lang")}
                arts[aid]["id"] = aid
                arts[aid]["chunks"] = 1
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

    def dense_search(self, vector: list[float], k: int, where: dict | None = None) -> list[tuple[StoredChunk, float]]:
        """Top ``k`` chunks by cosine similarity to ``vector`` (similarity = 1 - distance)."""
        n = self.count()
        if n == 0 or k <= 0:
            return []
        res = self.collection.query(query_embeddings=[vector], n_results=min(k, n), where=where or None,
                                    include=["documents", "metadatas", "distances"])
        return [(StoredChunk(i, d, m or {}), 1.0 - float(dist))
                for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])]

    # ---- writes -------------------------------------------------------------------------------
    def upsert(self, chunks: list[Chunk], vectors: list[list[float]], stale_ids: Iterable[str] = (),
               relabelled: Iterable[Chunk] = ()) -> None:
        """Add ``chunks`` (one or more whole articles), give ``relabelled`` chunks (same text and
        vector) their new metadata, and delete ``stale_ids``, in that order: an interruption
        leaves an article with too many chunks, repaired by the next run, never with too few."""
        stale = list(stale_ids)
        relabelled = list(relabelled)
        if not chunks and not stale and not relabelled:
            return
        with self._lock:
            self._bump_generation()
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

    def delete_article(self, article_id: str) -> int:
        """Remove an article's chunks; returns how many were removed."""
        ids = list(self.article_chunk_ids(article_id))
        if ids:
            with self._lock:
                self._bump_generation()
                self.collection.delete(ids=ids)
            self.refresh_lexical()
        return len(ids)

    # ---- lexical index ------------------------------------------------------------------------
    def lexical(self) -> LexicalIndex:
        """The BM25 index, loaded once and rebuilt from Chroma when out of step."""
        with self._lock:
            if self._lexical is None:
                self._lexical = LexicalIndex.load(self.lexical_dir)
            if self._lexical is None or self._lexical.generation != self.generation() or len(self._lexical) != self.count():
                self.refresh_lexical()
            return self._lexical

    def lexical_if_current(self) -> LexicalIndex:
        """Like :meth:`lexical`; cheap enough to call per query (one metadata read)."""
        return self.lexical()

    def refresh_lexical(self) -> LexicalIndex:
        """Rebuild the BM25 index from every chunk in Chroma and save it."""
        with self._lock:
            gen = self.generation()
            ids, texts, metas = [], [], []
            for ch, _ in self.iter_chunks():
                ids.append(ch.id)
                texts.append(ch.text)
                metas.append(ch.metadata)
            index = LexicalIndex.build(ids, texts, metas, generation=gen)
            index.save(self.lexical_dir)
            self._lexical = index
            return index


def _clean_meta(meta: dict) -> dict:
    """Chroma metadata values must be str, int, float or bool (no None)."""
    out = {}
    for k, v in meta.items():
        if v is None:
            v = ""
        elif not isinstance(v, (str, int, float, bool)):
            v = str(v)
        out[k] = v
    return out
