"""Constants and helpers of the UI tests: questions, the malicious article, host pages on a second origin."""
from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ingest.pipeline import Ingester
from ingest.store import Store
from ui.settings import Settings

SEED_QUESTION = "When did Trump and Putin last speak?"  # answered by the seed article (tests/conftest.py)
EVIL_QUESTION = "When did the Zorglub volcano erupt?"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Every field a page could render carries markup that would run if it were treated as HTML.
EVIL_RECORD = {
    "id": "evil-article",
    "title": "<script>window.__pwned='title'</script><img src=x onerror=\"window.__pwned='title-img'\"> Zorglub volcano",
    "text": ("The Zorglub volcano <img src=x onerror=\"window.__pwned='img'\"> erupted on 3 March 2025 "
             "<script>window.__pwned='script'</script> near the village of Quimper-sur-Mer. "
             "${window.__pwned='template'} [click](javascript:window.__pwned='md')\n\n"
             "Lava reached the harbour <b onmouseover=\"window.__pwned='b'\">within hours</b>, and the Zorglub "
             "observatory recorded the eruption."),
    "url": "javascript:window.__pwned='url'",
    "source": "<i>Evil Times</i>",
    "published": "2025-03-04",
    "lang": "en",
}


class HostPages:
    """A plain static web server standing in for a site that embeds the widget."""

    def __init__(self, root: Path):
        self.root = root
        handler = partial(QuietHandler, directory=str(root))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def allowed_origin(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def refused_origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page(self, name: str, bot_url: str, attributes: str = "") -> str:
        (self.root / name).write_text(
            "<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
            "<title>Host</title></head><body><h1>The Daily Example</h1><p>An article about something.</p>"
            f"<script src='{bot_url}/widget.js' {attributes}></script></body></html>", encoding="utf-8")
        return name


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def build_store(path: Path, embedder, inputs: list[str]) -> Store:
    store = Store(path, embedder)
    report = Ingester(store, Settings(store=path)).ingest(inputs, progress=False)
    assert report.errors == []
    return store
