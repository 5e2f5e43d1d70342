"""Real local services and processes for the ingestion tests: an HTTP server on 127.0.0.1, the
``newsbot`` command, free ports, small article files."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

NEWSBOT = str(Path(sys.executable).with_name("newsbot"))
CHROMA = str(Path(sys.executable).with_name("chroma"))


def free_port() -> int:
    """A TCP port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_newsbot(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed ``newsbot`` command; output is captured as text."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    full_env.update(env or {})
    return subprocess.run([NEWSBOT, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


class _Handler(SimpleHTTPRequestHandler):
    """Static files plus a few special paths: ``/slow/...`` never answers in time,
    ``/drip/N`` sends an HTML page of N bytes, one byte a second, ``/redirect/X`` redirects to ``/X``."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".rss": "application/rss+xml",
                      ".atom": "application/atom+xml", ".xml": "application/xml", "": "application/octet-stream"}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path.startswith("/slow/"):
            self.server.stop_event.wait(30)
            return
        if self.path.startswith("/drip/"):
            size = int(self.path.split("/")[2])
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            for _ in range(size):
                if self.server.stop_event.wait(1.0):
                    return
                self.wfile.write(b" ")
                self.wfile.flush()
            return
        if self.path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", self.path[len("/redirect"):])
            self.end_headers()
            return
        super().do_GET()

    do_HEAD = do_GET

    def log_message(self, *args):  # keep pytest output clean
        pass


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 serving the files of ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
        self.httpd.daemon_threads = True
        self.httpd.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def put(self, name: str, content: str | bytes) -> str:
        """Write a file served at the returned URL."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return self.url(name)

    def close(self) -> None:
        self.httpd.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()




def write_article(folder: Path, name: str, title: str, *paragraphs: str) -> Path:
    """A Markdown article ``# title`` followed by paragraphs."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


class FeedServer:
    """A feed on 127.0.0.1 whose body a test changes between polls: answers ``ETag`` and
    ``Last-Modified``, 304 to a matching conditional request, and an error status while
    ``fail_with`` is set. ``requests`` lists the headers of every request."""

    def __init__(self):
        import hashlib
        from http.server import BaseHTTPRequestHandler

        feed = self
        self.body = b""
        self.fail_with = 0
        self.requests: list[dict] = []
        self.modified = "Wed, 02 Jul 2025 10:00:00 GMT"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                feed.requests.append(dict(self.headers))
                if feed.fail_with:
                    self.send_response(feed.fail_with)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha1(feed.body).hexdigest()[:12] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", feed.modified)
                self.send_header("Content-Length", str(len(feed.body)))
                self.end_headers()
                self.wfile.write(feed.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.rss"

    def set_items(self, *items: tuple[str, str, str, str]) -> None:
        """The feed's items: (link, title, text, RFC 822 date) each."""
        entries = "".join(f"<item><title>{t}</title><link>{link}</link><pubDate>{d}</pubDate>"
                          f"<description>{x}</description></item>" for link, t, x, d in items)
        self.body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Local wire</title>'
                     f"<link>http://127.0.0.1/</link><language>en</language>{entries}</channel></rss>").encode()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class ServeProcess:
    """A real ``newsbot serve`` on a free port of 127.0.0.1."""

    def __init__(self, store, env: dict, log):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([NEWSBOT, "serve", "--store", str(store), "--port", str(self.port)],
                                     env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, deadline: float) -> None:
        while True:
            assert self.proc.poll() is None, f"newsbot serve exited with {self.proc.returncode}"
            try:
                if httpx.get(self.url + "/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "newsbot serve did not start"
            time.sleep(0.3)

    def ask(self, question: str, k: int = 5) -> httpx.Response:
        return httpx.post(self.url + "/api/ask", json={"question": question, "k": k}, timeout=60)

    def cited_titles(self, question: str, k: int = 5) -> list[str]:
        r = self.ask(question, k)
        assert r.status_code == 200, r.text
        return [c["title"] for c in r.json()["citations"]]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
