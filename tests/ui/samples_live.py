"""The quick start's store (samples/articles.jsonl, ingested for real) and servers on it, for the
tests of what a newcomer meets first: the chat, the widget, /docs, feedback."""
from __future__ import annotations

from pathlib import Path

from ingest.pipeline import Ingester
from ingest.store import Store
from ui.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "articles.jsonl"
README_QUESTION = "When did Trump and Putin last speak?"


def samples_store(path: Path, embedder) -> Store:
    """``newsbot ingest samples/articles.jsonl --store path``, with the session's embedder."""
    store = Store(path, embedder)
    report = Ingester(store, Settings(store=path)).ingest([str(SAMPLES)], progress=False)
    assert report.errors == [] and report.articles == 6
    return store


def serve(store: Store, **settings):
    """A started :class:`BackgroundServer` on ``store``, its ``Settings`` as ``.settings``."""
    from bot.runtime import Runtime
    from ui.server import BackgroundServer, create_app

    config = Settings(store=store.path, **({"rate_limit_per_minute": 100_000} | settings))
    server = BackgroundServer(create_app(config, Runtime.from_store(store))).start()
    server.settings = config
    return server
