"""Re-embed a whole store with another embedder, without losing it if interrupted.

The chunks are copied into a new collection embedded with the new model; only when that is
complete (and marked so) does it replace the old one. A run killed before that leaves the old
store as it was; one killed during the swap is finished by the next :class:`Store` opening it.
The new collection records how its sentence vectors are made (:func:`~ingest.sentences.sentence_method`):
with the default engine they are pooled out of each chunk's own forward pass, computed here in
the same pass, so a reindex also moves a store of separately embedded sentences over.
"""
from __future__ import annotations

from pathlib import Path

from .chroma_client import REINDEX_COLLECTION, drop_reindex_collection, existing_collection
from .sentences import passage_inputs
from .store import Store


def reindex(path: Path, embedder, chroma_url: str = "", batch: int = 64, progress=None) -> int:
    """Re-embed every chunk of the store at ``path`` with ``embedder``; returns the chunk count.

    ``progress(done, total)`` is called after each batch."""
    old = existing_collection(path, chroma_url)
    drop_reindex_collection(path, chroma_url)
    new = Store(path, embedder, chroma_url=chroma_url, collection=REINDEX_COLLECTION)
    sentences = new.sentences
    pooled = sentences.pooled and embedder.pools_sentences
    total = old.count()
    n = 0
    while True:
        res = old.get(include=["documents", "metadatas"], limit=batch, offset=n)
        if not res["ids"]:
            break
        inputs = [passage_inputs((m or {}).get("title", ""), d) for d, m in zip(res["documents"], res["metadatas"])]
        if pooled:
            vectors, matrices = embedder.embed_with_sentences([x for x, _ in inputs], [sp for _, sp in inputs])
            sentences.put(res["ids"], matrices)
        else:
            vectors = embedder.embed_documents([x for x, _ in inputs])
        new.write_embedded(res["ids"], vectors, res["documents"], res["metadatas"])
        n += len(res["ids"])
        if progress:
            progress(n, total)
    new.take_over(int((old.metadata or {}).get("generation", 0)) + 1)
    Store(path, embedder, chroma_url=chroma_url).refresh_lexical()
    return n
