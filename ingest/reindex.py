"""Re-embed a whole store with another embedder, without losing it if interrupted.

The chunks are copied into a new collection embedded with the new model; only when that is
complete does it replace the old one.
"""
from __future__ import annotations

from pathlib import Path

from .store import COLLECTION, Store, _client


def reindex(path: Path, embedder, chroma_url: str = "", batch: int = 64) -> int:
    """Re-embed every chunk of the store at ``path`` with ``embedder``; returns the chunk count."""
    client = _client(Path(path), chroma_url)
    try:
        old = client.get_collection(COLLECTION, embedding_function=None)
    except Exception:
        return 0
    tmp_name = COLLECTION + "-reindex"
    try:
        client.delete_collection(tmp_name)
    except Exception:
        pass
    new = Store(path, embedder, chroma_url=chroma_url, collection=tmp_name)
    n = 0
    offset = 0
    while True:
        res = old.get(include=["documents", "metadatas"], limit=batch, offset=offset)
        if not res["ids"]:
            break
        texts = [(m.get("title", "") + "\n" + d) if m.get("title") else d for d, m in zip(res["documents"], res["metadatas"])]
        vectors = embedder.embed_documents(texts)
        new.collection.upsert(ids=res["ids"], embeddings=vectors, documents=res["documents"], metadatas=res["metadatas"])
        n += len(res["ids"])
        offset += len(res["ids"])
    client.delete_collection(COLLECTION)
    new.collection.modify(name=COLLECTION)
    Store(path, embedder, chroma_url=chroma_url).refresh_lexical()
    return n
