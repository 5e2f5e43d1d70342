"""``newsbot watch``: keep a store fresh from RSS/Atom feeds.

Each feed is polled every period with a conditional request (``If-None-Match`` /
``If-Modified-Since`` from the last answer's ``ETag`` / ``Last-Modified``); new and changed items
are ingested like any article. What was seen (item ids and content hashes, validators, failures)
is kept in ``watch-state.json`` in the store's folder, so a restarted watcher ingests nothing
twice. A failing feed is retried later and later (the period doubled at each failure, at most
``max_backoff``), with one log line per failure; the other feeds go on.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from .errors import InputError
from .loaders.feed import articles_from_feed
from .pipeline import Ingester
from .settings import IngestSettings

STATE_FILE = "watch-state.json"
MAX_SEEN = 5000  # item hashes remembered per feed (feeds list their latest items only)


@dataclass
class FeedState:
    """What the watcher knows of one feed between polls (and across restarts)."""

    etag: str = ""
    last_modified: str = ""
    seen: dict[str, str] = field(default_factory=dict)  # article id -> content hash, oldest first
    failures: int = 0
    next_poll: float = 0.0  # epoch seconds
    last_error: str = ""


@dataclass
class PollResult:
    feed: str
    status: str  # "ingested", "unchanged", "not-modified" or "failed"
    new: int = 0
    changed: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str = ""
    retry_in: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error


def fetch_feed(feed: str, settings: IngestSettings, state: FeedState) -> tuple[int, bytes, dict]:
    """(HTTP status, body, response headers) of a conditional GET of ``feed`` (a file path reads
    as status 200). Raises :class:`InputError` naming the feed and the reason."""
    if not feed.startswith(("http://", "https://")):
        path = Path(feed)
        if not path.is_file():
            raise InputError(feed, "no such feed file")
        return 200, path.read_bytes(), {}
    from .loaders.url import request

    headers = {"User-Agent": "newsbot/0.1 (+feed watcher)"}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    status, body, got, _url = request(feed, settings, headers)
    return status, body, got


class FeedWatcher:
    """Polls ``feeds`` into ``store`` every ``every`` seconds; ``run`` loops until a stop event."""

    def __init__(self, store, settings: IngestSettings, feeds: list[str], every: float = 900.0,
                 max_backoff: float = 6 * 3600.0, log: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time, ingester: Ingester | None = None):
        self.store = store
        self.settings = settings
        self.feeds = list(dict.fromkeys(feeds))
        self.every = float(every)
        self.max_backoff = max(float(max_backoff), self.every)
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.clock = clock
        self.ingester = ingester or Ingester(store, settings)
        self.state_path = Path(store.path) / STATE_FILE
        self.states: dict[str, FeedState] = self._load()

    def _load(self) -> dict[str, FeedState]:
        states = {}
        try:
            raw = json.loads(self.state_path.read_text(encoding="utf-8"))
            for feed, d in (raw.get("feeds") or {}).items():
                states[feed] = FeedState(**{k: v for k, v in d.items() if k in FeedState.__dataclass_fields__})
        except FileNotFoundError:
            pass
        except (ValueError, TypeError, AttributeError) as exc:
            self.log(f"watch: {self.state_path} is unreadable ({exc}); starting afresh, already stored items are "
                     "recognised by their content")
        return states

    def save(self) -> None:
        """Write the state atomically (a crash leaves the previous state, never half a file)."""
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"feeds": {f: asdict(s) for f, s in self.states.items()}}, ensure_ascii=False),
                       encoding="utf-8")
        os.replace(tmp, self.state_path)

    def state(self, feed: str) -> FeedState:
        return self.states.setdefault(feed, FeedState())

    def poll_due(self, force: bool = False) -> list[PollResult]:
        """Poll every feed whose time has come (all of them with ``force``)."""
        now = self.clock()
        return [self.poll(feed) for feed in self.feeds if force or self.state(feed).next_poll <= now]

    def poll(self, feed: str) -> PollResult:
        """Fetch one feed and ingest its new and changed items; failures are logged and backed off."""
        state = self.state(feed)
        try:
            result = self._poll(feed, state)
        except InputError as err:
            state.failures += 1
            delay = min(self.every * 2 ** state.failures, self.max_backoff)
            state.next_poll = self.clock() + delay
            state.last_error = err.reason
            result = PollResult(feed, "failed", error=f"{feed}: {err.reason}", retry_in=delay)
            self.log(f"watch: {feed}: {err.reason}; failure {state.failures}, retrying in {_duration(delay)}")
        else:
            state.failures = 0
            state.last_error = ""
            state.next_poll = self.clock() + self.every
            if result.new or result.changed:
                extra = f"; {len(result.skipped)} item(s) skipped: {'; '.join(result.skipped)}" if result.skipped else ""
                self.log(f"watch: {feed}: {result.new} new and {result.changed} changed item(s) ingested{extra}")
        self.save()
        return result

    def _poll(self, feed: str, state: FeedState) -> PollResult:
        status, body, headers = fetch_feed(feed, self.settings, state)
        if status == 304:
            return PollResult(feed, "not-modified")
        skipped: list[str] = []
        articles = articles_from_feed(body, feed, lambda err: skipped.append(str(err)))
        fresh = [a for a in articles if state.seen.get(a.id) != a.content_hash]
        new = sum(1 for a in fresh if a.id not in state.seen)
        if fresh:
            report = self.ingester.ingest_articles(fresh)
            if report.errors:
                raise InputError(feed, f"items could not be stored ({'; '.join(report.errors)})")
        for a in articles:
            state.seen.pop(a.id, None)
            state.seen[a.id] = a.content_hash
        while len(state.seen) > MAX_SEEN:
            state.seen.pop(next(iter(state.seen)))
        state.etag = headers.get("etag", "")
        state.last_modified = headers.get("last-modified", "")
        return PollResult(feed, "ingested" if fresh else "unchanged", new=new, changed=len(fresh) - new,
                          skipped=skipped)

    def run(self, stop: threading.Event) -> None:
        """Poll due feeds until ``stop`` is set, sleeping until the next one is due."""
        while not stop.is_set():
            self.poll_due()
            due = min((self.state(f).next_poll for f in self.feeds), default=self.clock() + self.every)
            stop.wait(max(0.2, due - self.clock()))


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
