"""Re-embed a whole store with another embedder, without losing it if interrupted.

The chunks are copied into a new collection embedded with the new model; only when that is
complete (and marked so) does it replace the old one. A run killed before that leaves the old
store as it was; one killed during the swap is finished by the next :class:`Store` opening it.
"""
from __future__ import annotations

from pathlib import Path

from .errors import StoreError
from .pipeline import embedding_text
from .store import COLLECTION, REINDEX_COLLECTION, Store, _client


def reindex(path: Path, embedder, chroma_url: str = "", batch: int = 64, progress=None) -> int:
    """Re-embed every chunk of the store at ``path`` with ``embedder``; returns the chunk count.

    ``progress(done, total)`` is called after each batch."""
    client = _client(Path(path), chroma_url)
    try:
        old = client.get_collection(COLLECTION, embedding_function=None)
    except Exception:
        raise StoreError(f"no store at {chroma_url or path}: nothing to re-index (run 'newsbot ingest' first)") from None
    try:
        client.delete_collection(REINDEX_COLLECTION)
    except Exception:  # none left by an earlier run
        pass
    new = Store(path, embedder, chroma_url=chroma_url, collection=REINDEX_COLLECTION)
    total = old.count()
    n = 0
    while True:
        res = old.get(include=["documents", "metadatas"], limit=batch, offset=n)
        if not res["ids"]:
            break
        texts = [embedding_text((m or {}).get("title", ""), d) for d, m in zip(res["documents"], res["metadatas"])]
        vectors = embedder.embed_documents(texts)
        new.collection.upsert(ids=res["ids"], embeddings=vectors, documents=res["documents"], metadatas=res["metadatas"])
        n += len(res["ids"])
        if progress:
            progress(n, total)
    # A later generation than the old collection's, so no saved BM25 index is taken as current.
    meta = dict(new.collection.metadata or {})
    meta.update(generation=int((old.metadata or {}).get("generation", 0)) + 1, reindex_complete=True)
    new.collection.modify(metadata=meta)
    client.delete_collection(COLLECTION)
    new.collection.modify(name=COLLECTION)
    Store(path, embedder, chroma_url=chroma_url).refresh_lexical()
    return n
