"""Embeddings of the sentences of stored chunks, computed at ingestion and kept on disk.

Scoring candidates by their best single sentence, not only the whole chunk, finds the passage
whose one sentence answers a short question (and lets an English question pick the French
sentence that answers it). The cache is derived data keyed by chunk id (a content hash) and
embedder, so it never goes stale: a changed chunk has a new id. It lives beside the store in
``sentence-vectors-<embedder>/``, one ``.npz`` file per batch of newly embedded chunks. Chunks
missing from it (an interrupted ingest, a store written by another program) are embedded when
first retrieved. The :class:`~ingest.store.Store` holds its cache (``Store.sentences``) and
prunes the vectors of deleted or replaced chunks (after an ingest, and on ``newsbot delete``).

How the vectors are made is recorded in the store (:func:`sentence_method`): ``pooled`` (stores
made since 2026-12-02 with the default engine) means each sentence's vector is the mean of its
tokens' states in the chunk's own forward pass, computed with the chunk's vector at no extra
model cost, and kept in ``sentence-vectors-<embedder>-pooled/``; ``separate`` (older stores,
and engines that do not expose their token states) means one embedding per sentence.
``newsbot reindex`` moves a store to its embedder's method. Either way a chunk has at most
:data:`MAX_SENTENCES` vectors, so the work per article is bounded whatever its text.
"""
from __future__ import annotations

import json
import os
import re
import threading
import uuid
from pathlib import Path
from typing import Callable

import numpy as np

from ingest.chunking import split_sentences

_COMPACT_AFTER = 64  # batch files; then they are merged into one
MAX_SENTENCES = 32  # sentence vectors per chunk, at most (see sentence_spans)
POOLED, SEPARATE = "pooled", "separate"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a chunk (the whole chunk when it has no sentence break), at most
    :data:`MAX_SENTENCES`: beyond that, runs of consecutive sentences share one span, so the
    vectors kept per chunk are bounded whatever the text (a chunk of "… … …" has hundreds of
    "sentences"; no PIAF chunk has more than 11, no RealTimeQA one more than 69)."""
    spans = split_sentences(text) or ([(0, len(text))] if text.strip() else [])
    if len(spans) <= MAX_SENTENCES:
        return spans
    n = len(spans)
    cuts = [n * k // MAX_SENTENCES for k in range(MAX_SENTENCES + 1)]
    return [(spans[a][0], spans[b - 1][1]) for a, b in zip(cuts, cuts[1:])]


def embedding_text(title: str, text: str) -> str:
    """What the embedder sees of a passage: the article title gives it its context."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text


def passage_inputs(title: str, text: str) -> tuple[str, list[tuple[int, int]]]:
    """The embedding text of a chunk and its sentence spans in that text's offsets."""
    full = embedding_text(title, text)
    off = len(full) - len(text)
    return full, [(a + off, b + off) for a, b in sentence_spans(text)]


def sentence_method(embedder) -> str:
    """How a new store made with ``embedder`` gets its sentence vectors: ``pooled`` out of each
    chunk's own forward pass when the engine exposes its token states, else ``separate`` (one
    embedding per sentence: every store made before 2026-12-02)."""
    return POOLED if embedder.pools_sentences else SEPARATE


class SentenceVectors:
    """Per-chunk matrices of sentence embeddings (one row per :func:`sentence_spans` span), kept in
    ``folder`` (none: in memory only). ``titles(ids)`` gives the article titles of chunks that
    pooled vectors are computed for lazily (their embedding text starts with the title)."""

    def __init__(self, embedder, folder: Path | str | None = None, method: str = SEPARATE,
                 titles: Callable[[list[str]], dict[str, str]] | None = None):
        self.embedder = embedder
        self.folder = Path(folder) if folder else None
        self.method = method
        self._titles_of = titles
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.RLock()
        self._loaded = False

    @property
    def pooled(self) -> bool:
        return self.method == POOLED

    @staticmethod
    def folder_beside(store_path: Path, embedder_name: str, method: str) -> Path:
        """Where the cache of a store in ``store_path`` lives: a folder per embedder and per
        sentence method (the store records which)."""
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", embedder_name)
        return (Path(store_path) / f"sentence-vectors-{slug}{'-pooled' if method == POOLED else ''}").resolve()

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.folder is None or not self.folder.is_dir():
            return
        for f in sorted(self.folder.glob("*.npz")):
            try:
                with np.load(f) as data:
                    ids = json.loads(str(data["ids"]))
                    counts, matrix = data["counts"], data["vectors"]
            except (OSError, ValueError, KeyError):
                continue  # a torn write: those chunks are simply embedded again
            pos = 0
            for cid, n in zip(ids, counts):
                self._vectors[cid] = matrix[pos : pos + int(n)]
                pos += int(n)

    def vectors(self, chunks: list[tuple[str, str]]) -> dict[str, np.ndarray]:
        """Sentence matrices of ``(chunk_id, text)`` pairs, embedding the chunks not seen before."""
        with self._lock:
            self._load()
            missing = [(cid, text) for cid, text in dict(chunks).items() if cid not in self._vectors]
        if missing:
            self._embed(missing)
        with self._lock:
            return {cid: self._vectors[cid] for cid, _ in chunks if cid in self._vectors}

    def add(self, chunks: list[tuple[str, str]], embedder=None) -> None:
        """Embed and keep the sentences of new ``(chunk_id, text)`` pairs, with ``embedder``
        (default: the cache's), without reading the cache from disk: a write does not need it
        (at 100,000 chunks it is about a gigabyte)."""
        with self._lock:
            if self._loaded:
                chunks = [(cid, text) for cid, text in chunks if cid not in self._vectors]
        if chunks:
            self._embed(list(dict(chunks).items()), embedder)

    def put(self, ids: list[str], matrices: list[np.ndarray]) -> None:
        """Keep sentence matrices computed elsewhere (pooled out of the chunks' own forward pass)."""
        if not ids:
            return
        counts = [len(m) for m in matrices]
        matrix = np.concatenate([np.asarray(m, dtype=np.float32) for m in matrices])
        with self._lock:
            self._vectors.update(zip(ids, (np.asarray(m, dtype=np.float32) for m in matrices)))
            self._save(list(ids), counts, matrix)

    def _titles(self, ids: list[str]) -> dict[str, str]:
        if self._titles_of is None:
            return {}
        try:
            return self._titles_of(ids)
        except Exception:  # the store is closed: the text alone
            return {}

    def _embed(self, chunks: list[tuple[str, str]], embedder=None) -> None:
        # Embedded outside the cache's lock: an ingest embedding a batch's sentences must not
        # hold up the questions reading the cache (the embedder serialises its own calls).
        embedder = embedder if embedder is not None else self.embedder
        if self.pooled and embedder.pools_sentences:
            titles = self._titles([cid for cid, _ in chunks])
            inputs = [passage_inputs(titles.get(cid, ""), text) for cid, text in chunks]
            _, matrices = embedder.embed_with_sentences([t for t, _ in inputs], [sp for _, sp in inputs])
            self.put([cid for cid, _ in chunks], matrices)
            return
        texts: list[str] = []
        counts: list[int] = []
        for _, text in chunks:
            spans = sentence_spans(text)
            texts.extend(text[a:b] for a, b in spans)
            counts.append(len(spans))
        matrix = np.asarray(embedder.embed_documents(texts), dtype=np.float32) if texts else np.zeros((0, 1), np.float32)
        with self._lock:
            pos = 0
            for (cid, _), n in zip(chunks, counts):
                self._vectors[cid] = matrix[pos : pos + n]
                pos += n
            self._save([cid for cid, _ in chunks], counts, matrix)

    def cached_ids(self) -> set[str]:
        """Ids of the chunks whose sentence vectors are cached."""
        with self._lock:
            self._load()
            return set(self._vectors)

    def prune(self, keep: set[str]) -> int:
        """Forget the vectors of chunks not in ``keep`` (deleted or replaced); returns how many."""
        with self._lock:
            self._load()
            gone = [cid for cid in self._vectors if cid not in keep]
            if not gone:
                return 0
            for cid in gone:
                del self._vectors[cid]
            if self.folder is not None and self.folder.is_dir():
                old = sorted(self.folder.glob("*.npz"))
                ids = list(self._vectors)
                if ids:
                    self._save(ids, [len(self._vectors[c]) for c in ids],
                               np.concatenate([self._vectors[c] for c in ids]))
                for f in old:
                    f.unlink(missing_ok=True)
            return len(gone)

    def _save(self, ids: list[str], counts: list[int], matrix: np.ndarray) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            files = sorted(self.folder.glob("*.npz"))
            compact = len(files) >= _COMPACT_AFTER and self._loaded  # else memory holds only part of it
            if compact:
                ids = list(self._vectors)
                counts = [len(self._vectors[c]) for c in ids]
                matrix = np.concatenate([self._vectors[c] for c in ids]) if ids else matrix
            name = self.folder / f"{uuid.uuid4().hex}.npz"
            tmp = name.with_suffix(".tmp")
            with open(tmp, "wb") as f:
                np.savez(f, ids=np.array(json.dumps(ids)), counts=np.array(counts, dtype=np.int32), vectors=matrix)
            os.replace(tmp, name)
            if compact:
                for old in files:
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only store still answers; the vectors are recomputed next time

    def similarities(self, query_vector, chunks: list[tuple[str, str]]) -> dict[str, np.ndarray]:
        """Cosine similarity of the query to each sentence of each chunk."""
        q = np.asarray(query_vector, dtype=np.float32)
        return {cid: (m @ q if len(m) else np.zeros(0, np.float32)) for cid, m in self.vectors(chunks).items()}
