"""Screenshots of the web chat and the widget at desktop and phone width (docs/screenshots/*.png),
taken from the README's quick start: ``newsbot ingest samples/articles.jsonl`` into a fresh
store, ``newsbot serve``, then the README's question in headless Chromium.

    python docs/screenshots/take_screenshots.py [--out DIR]

Needs Debian's chromium (``apt-get install chromium``); for the 👍/👎 glyphs, fonts-noto-color-emoji.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
QUESTION = "When did Trump and Putin last speak?"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def newsbot(*args: str) -> list[str]:
    exe = shutil.which("newsbot", path=str(Path(sys.executable).parent))
    return [exe, *args] if exe else [sys.executable, "-m", "ui.cli", *args]


def quick_start(work: Path, host_origin: str) -> tuple[subprocess.Popen, str]:
    """The quick start in ``work`` (the default store, ./newsbot-data, lands there): ingest the
    samples, then serve; returns the server process and its URL once its banner is printed."""
    env = dict(os.environ, NEWSBOT_CORS_ORIGINS=host_origin)
    subprocess.run(newsbot("ingest", str(REPO / "samples" / "articles.jsonl"), "--no-progress"),
                   cwd=work, env=env, check=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(newsbot("serve", "--port", str(port)), cwd=work, env=env,
                              stdout=subprocess.PIPE, text=True)
    banner = server.stdout.readline()
    if "chat at" not in banner:
        server.terminate()
        raise SystemExit(f"newsbot serve did not start: {banner!r}")
    return server, f"http://127.0.0.1:{port}"


def host_page(site: Path, server_url: str) -> None:
    (site / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
        "<title>The Daily Example</title><style>body{font:17px Georgia,serif;max-width:40rem;margin:2rem auto;"
        "padding:0 1rem;color:#222}</style></head><body><h1>The Daily Example</h1><p>Our reporters cover the "
        "world. Ask the newsroom bot about today's stories with the button below.</p>"
        f"<script src='{server_url}/widget.js' data-color='#0f766e' data-language='en' async></script>"
        "</body></html>", encoding="utf-8")


def shoot(browser, server_url: str, host: str, out: Path) -> None:
    for name, size in SIZES.items():
        page = browser.new_page(viewport=size, is_mobile=name == "phone")
        page.goto(server_url + "/")
        page.wait_for_selector("#nb-examples button", timeout=60_000)
        page.fill("#nb-question textarea", QUESTION)
        page.click("#nb-ask")
        page.wait_for_selector("#nb-up", state="visible", timeout=120_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(out / f"chat-{name}.png"), full_page=name == "desktop")
        page.goto(host + "/index.html")
        page.click("button.newsbot-widget-button")
        frame = page.frame_locator("iframe.newsbot-widget-frame")
        frame.locator("#nbw-input").fill(QUESTION)
        frame.locator("#nbw-send").click()
        frame.locator(".nbw-rate").wait_for(timeout=120_000)
        frame.locator("button.nbw-cite").first.click()
        page.wait_for_timeout(800)
        page.screenshot(path=str(out / f"widget-{name}.png"))
        page.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="newsbot-shots-"))
    site = work / "site"
    site.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    host = f"http://localhost:{httpd.server_address[1]}"
    server, url = quick_start(work, host)
    try:
        host_page(site, url)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            shoot(browser, url, host, args.out)
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
        httpd.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    for name in sorted(args.out.glob("*.png")):
        print(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
