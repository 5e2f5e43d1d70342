"""Chroma clients of a store: embedded in its folder or a Chroma server (asked for a heartbeat
first, since chromadb's client has no timeout), the collections a store keeps there, which
embedder built it, and the collection swap that ends a re-index.

A store's chunks live in the :data:`COLLECTION` collection, whose metadata records the embedder
that built it. A re-index writes a :data:`REINDEX_COLLECTION` beside it and, once complete,
renames it over the old one (:func:`recover_reindex` finishes a swap cut short).
"""
from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlparse

from .errors import StoreError

COLLECTION = "newsbot"
REINDEX_COLLECTION = COLLECTION + "-reindex"
RETIRE_S = 120  # a Chroma system replaced by a reopening is stopped this long after (calls under way finish)


def connect(path: Path, chroma_url: str, timeout: float = 10.0):
    """A Chroma client: of the server at ``chroma_url`` (a :class:`StoreError` in ``timeout``
    seconds when it does not answer), else of the embedded database in ``path``."""
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


def retire(client) -> None:
    """Take the system of the embedded ``client`` out of chromadb's sharing (one system per path
    and process) so that the next :func:`connect` opens the folder afresh; the old system is
    stopped :data:`RETIRE_S` later, once the calls under way on it are over."""
    from chromadb.api.shared_system_client import SharedSystemClient as Shared

    system = Shared._identifier_to_system.pop(client._identifier, None)
    Shared._identifier_to_refcount.pop(client._identifier, None)
    if system is not None:
        timer = threading.Timer(RETIRE_S, system.stop)
        timer.daemon = True
        timer.start()


# ---- the embedder a store was built with -------------------------------------------------------
def recorded_embedder(path: Path | str, chroma_url: str = "") -> str:
    """The canonical name of the embedder the store at ``path`` was built with ("" for no store yet)."""
    if not chroma_url and not (Path(path) / "chroma").exists():
        return ""
    return built_with(connect(Path(path), chroma_url))


def built_with(client) -> str:
    """The embedder recorded in the chunk collection of ``client`` ("" when there is none yet)."""
    try:
        collection = client.get_collection(COLLECTION)
    except Exception:  # no collection yet
        return ""
    return str((collection.metadata or {}).get("embedder") or "")


def embedder_name_for(configured: str, path: Path | str, chroma_url: str = "") -> str:
    """What to pass to :func:`~ingest.embedders.make_embedder` for the store at ``path``: the
    configured embedder, or else the one the store was built with (a store made by an earlier
    default keeps working), or else the default for a new store."""
    from .embedders import DEFAULT_EMBEDDER, config_name

    if configured:
        return configured
    recorded = recorded_embedder(path, chroma_url)
    return config_name(recorded) if recorded else DEFAULT_EMBEDDER


# ---- the collections of a re-index --------------------------------------------------------------
def recover_reindex(client) -> None:
    """Finish a ``reindex`` killed between dropping the old collection and renaming the new one."""
    names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    if COLLECTION in names or REINDEX_COLLECTION not in names:
        return
    new = client.get_collection(REINDEX_COLLECTION, embedding_function=None)
    if (new.metadata or {}).get("reindex_complete"):
        new.modify(name=COLLECTION)


def existing_collection(path: Path | str, chroma_url: str = ""):
    """The chunk collection of the store at ``path`` as it is, whatever embedder built it (what a
    re-index reads); a :class:`StoreError` when there is no store there."""
    try:
        return connect(Path(path), chroma_url).get_collection(COLLECTION, embedding_function=None)
    except StoreError:
        raise
    except Exception:
        raise StoreError(f"no store at {chroma_url or path}: nothing to re-index (run 'newsbot ingest' first)") from None


def drop_reindex_collection(path: Path | str, chroma_url: str = "") -> None:
    """Remove what an unfinished re-index of the store at ``path`` left, if anything."""
    try:
        connect(Path(path), chroma_url).delete_collection(REINDEX_COLLECTION)
    except Exception:  # none left by an earlier run
        pass
