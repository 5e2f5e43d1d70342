"""ingest/watch.py and ``newsbot watch``: polling a local feed whose items change between polls."""
from __future__ import annotations

import json

import pytest
from local_services import FeedServer, run_newsbot

from ingest.settings import IngestSettings
from ingest.store import Store
from ingest.watch import STATE_FILE, FeedWatcher

ITEM_A = ("https://example.org/a", "Harbour reopens", "The harbour of Brest reopened on Monday after the storm.",
          "Mon, 30 Jun 2025 08:00:00 GMT")
ITEM_B = ("https://example.org/b", "Tram line extended", "The tram line of Nantes was extended by four stations.",
          "Tue, 01 Jul 2025 08:00:00 GMT")
ITEM_B2 = ("https://example.org/b", "Tram line extended", "The tram line of Nantes was extended by six stations.",
           "Tue, 01 Jul 2025 08:00:00 GMT")
ITEM_C = ("https://example.org/c", "Bridge closed", "The old bridge of Lyon closed for repairs on Wednesday.",
          "Wed, 02 Jul 2025 08:00:00 GMT")


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def feed():
    server = FeedServer()
    yield server
    server.close()


def watcher(store, feeds, clock, lines, every=60.0):
    return FeedWatcher(store, IngestSettings(), feeds, every=every, clock=clock, log=lines.append)


def test_changing_feed_is_ingested_with_conditional_requests_and_remembered_across_restarts(tmp_path, e5, feed):
    store = Store(tmp_path / "store", e5)
    clock, lines = Clock(), []
    feed.set_items(ITEM_A, ITEM_B)
    w = watcher(store, [feed.url], clock, lines)
    [r] = w.poll_due()
    assert (r.status, r.new, r.changed) == ("ingested", 2, 0)
    assert len(store.articles()) == 2
    assert lines == [f"watch: {feed.url}: 2 new and 0 changed item(s) ingested"]
    # not due yet: no request
    assert w.poll_due() == [] and len(feed.requests) == 1
    # due, nothing changed: a conditional request answered 304
    clock.now += 60
    [r] = w.poll_due()
    assert r.status == "not-modified"
    assert feed.requests[-1]["If-None-Match"] and feed.requests[-1]["If-Modified-Since"] == feed.modified
    # one item changes, one is added
    feed.set_items(ITEM_A, ITEM_B2, ITEM_C)
    clock.now += 60
    [r] = w.poll_due()
    assert (r.status, r.new, r.changed) == ("ingested", 1, 1)
    arts = {a["title"]: a for a in store.articles()}
    assert set(arts) == {"Harbour reopens", "Tram line extended", "Bridge closed"}
    assert arts["Bridge closed"]["published"].startswith("2025-07-02")
    texts = [ch.text for ch, _ in store.iter_chunks()]
    assert any("six stations" in t for t in texts) and not any("four stations" in t for t in texts)
    # a restarted watcher remembers what it saw (in the store's folder) and its validators
    state = json.loads((tmp_path / "store" / STATE_FILE).read_text(encoding="utf-8"))
    assert len(state["feeds"][feed.url]["seen"]) == 3
    later = Clock()
    later.now = clock.now + 30
    restarted = watcher(Store(tmp_path / "store", e5), [feed.url], later, lines)
    assert restarted.poll_due() == []  # its schedule is remembered too
    later.now += 30
    [r] = restarted.poll_due()
    assert r.status == "not-modified"
    feed.modified = "Thu, 03 Jul 2025 10:00:00 GMT"  # a server without validators would resend everything
    restarted.states[feed.url].etag = ""
    restarted.states[feed.url].last_modified = ""
    [r] = restarted.poll_due(force=True)
    assert (r.status, r.new, r.changed) == ("unchanged", 0, 0)


def test_failing_feed_backs_off_with_one_line_per_failure_and_recovers(tmp_path, e5, feed):
    store = Store(tmp_path / "store", e5)
    clock, lines = Clock(), []
    feed.set_items(ITEM_A)
    feed.fail_with = 503
    w = watcher(store, [feed.url, str(tmp_path / "missing.rss")], clock, lines)
    results = w.poll_due()
    assert [r.status for r in results] == ["failed", "failed"]
    assert lines == [f"watch: {feed.url}: HTTP 503 Service Unavailable; failure 1, retrying in 2 min",
                     f"watch: {tmp_path / 'missing.rss'}: no such feed file; failure 1, retrying in 2 min"]
    clock.now += 60  # the period has passed, the back-off has not
    assert w.poll_due() == [] and len(feed.requests) == 1
    clock.now += 60
    [r, _] = w.poll_due()
    assert r.status == "failed" and r.retry_in == 240 and lines[-2].endswith("failure 2, retrying in 4 min")
    feed.fail_with = 0
    clock.now += 240
    [r, _] = w.poll_due()
    assert (r.status, r.new) == ("ingested", 1)
    assert w.states[feed.url].failures == 0 and w.states[feed.url].next_poll == clock.now + 60
    assert len(store.articles()) == 1


def test_watch_command_once(tmp_path, feed):
    feed.set_items(ITEM_A, ITEM_C)
    store = tmp_path / "store"
    proc = run_newsbot("watch", feed.url, "--once", "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    assert "2 new and 0 changed item(s) ingested" in proc.stderr
    proc = run_newsbot("stats", "--json", "--store", str(store))
    assert json.loads(proc.stdout)["articles"] == 2
    feed.fail_with = 500
    proc = run_newsbot("watch", feed.url, "--once", "--store", str(store))
    assert proc.returncode == 1 and "HTTP 500" in proc.stderr
    bad = run_newsbot("watch", feed.url, "--every", "soon", "--store", str(store))
    assert bad.returncode == 2 and "not a polling period" in bad.stderr


def test_serve_watch_answers_about_an_item_within_one_polling_period(tmp_path, feed):
    import os
    import subprocess
    import time

    import httpx
    from local_services import NEWSBOT, free_port

    feed.set_items(ITEM_A)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    proc = subprocess.Popen([NEWSBOT, "serve", "--store", str(tmp_path / "store"), "--port", str(port),
                             "--watch", feed.url, "--every", "3s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    base = f"http://127.0.0.1:{port}"

    def ask() -> dict:
        return httpx.post(f"{base}/api/ask", json={"question": "Which bridge closed for repairs?"}, timeout=60).json()

    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).json()["articles"] == 1:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.5)
        else:
            pytest.fail("the server did not start and ingest the feed in time")
        assert not any("Lyon" in c["passage"] for c in ask()["citations"])
        feed.set_items(ITEM_A, ITEM_C)
        published = time.monotonic()
        while time.monotonic() - published < 3 + 30:  # one period, plus the time to embed the item
            if httpx.get(f"{base}/api/health", timeout=2).json()["articles"] == 2:
                break
            time.sleep(0.3)
        answer = ask()
        assert any("old bridge of Lyon" in c["passage"] for c in answer["citations"]), answer
    finally:
        proc.terminate()
        proc.wait(30)


def test_watch_command_stops_cleanly_on_ctrl_c(tmp_path, feed):
    import os
    import signal
    import subprocess
    import time

    from local_services import NEWSBOT

    feed.set_items(ITEM_A)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    # A shell's background job inherits SIGINT ignored; Ctrl-C must reach the command here.
    proc = subprocess.Popen([NEWSBOT, "watch", feed.url, "--every", "1s", "--store", str(tmp_path / "store")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "store" / STATE_FILE).exists() and time.monotonic() < deadline:
            assert proc.poll() is None
            time.sleep(0.2)
        while len(feed.requests) < 2 and time.monotonic() < deadline:  # polling goes on
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "1 new and 0 changed item(s) ingested" in err and "stopped" in err and "Traceback" not in err
    state = json.loads((tmp_path / "store" / STATE_FILE).read_text(encoding="utf-8"))
    assert len(state["feeds"][feed.url]["seen"]) == 1
