"""Screenshots of the web chat and the widget at desktop and phone width (docs/screenshots/*.png).

    python docs/screenshots/take_screenshots.py [--store DIR]

Without --store, a temporary store is built from ../shared/corpus/seed. Needs Debian's chromium.
"""
from __future__ import annotations

import argparse
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = HERE.parents[2] / "shared" / "corpus" / "seed"
QUESTION = "When did Trump and Putin last speak?"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from ingest.settings import Settings
    from ui.server import BackgroundServer, create_app

    tmp = Path(tempfile.mkdtemp(prefix="newsbot-shots-"))
    store = args.store
    if store is None:
        from ingest.embedders import make_embedder
        from ingest.pipeline import Ingester
        from ingest.store import Store

        store = tmp / "store"
        settings = Settings(store=store)
        Ingester(Store(store, make_embedder(settings.embedder)), settings).ingest([str(SEED)], progress=False)
    site = tmp / "site"
    site.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    host = f"http://localhost:{httpd.server_address[1]}"
    settings = Settings(store=store, cors_origins=host, feedback_log=tmp / "feedback.jsonl")
    with BackgroundServer(create_app(settings)) as server, sync_playwright() as pw:
        (site / "index.html").write_text(
            "<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
            "<title>The Daily Example</title><style>body{font:17px Georgia,serif;max-width:40rem;margin:2rem auto;"
            "padding:0 1rem;color:#222}</style></head><body><h1>The Daily Example</h1><p>Our reporters cover the "
            "world. Ask the newsroom bot about today's stories with the button below.</p>"
            f"<script src='{server.url}/widget.js' data-color='#0f766e' data-language='en' async></script>"
            "</body></html>", encoding="utf-8")
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, size in SIZES.items():
            page = browser.new_page(viewport=size, is_mobile=name == "phone")
            page.goto(server.url + "/")
            page.fill("#nb-question textarea", QUESTION)
            page.click("#nb-ask")
            page.wait_for_selector("li.nb-card mark.nb-hl", timeout=120_000)
            page.screenshot(path=str(args.out / f"chat-{name}.png"), full_page=name == "desktop")
            page.goto(host + "/index.html")
            page.click("button.newsbot-widget-button")
            frame = page.frame_locator("iframe.newsbot-widget-frame")
            frame.locator("#nbw-input").fill(QUESTION)
            frame.locator("#nbw-send").click()
            frame.locator(".nbw-rate").wait_for(timeout=120_000)
            frame.locator("button.nbw-cite").first.click()
            page.wait_for_timeout(800)
            page.screenshot(path=str(args.out / f"widget-{name}.png"))
            page.close()
        browser.close()
    httpd.shutdown()
    for name in sorted(args.out.glob("*.png")):
        print(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
