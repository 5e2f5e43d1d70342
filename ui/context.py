"""What the chat, the REST API and the widget share: one bot, one store, one ingest at a time.

Built once per process and handed to each door, so tests can build it around a small real store.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bot.model import Filters
from bot.newsbot import NewsBot
from ingest.pipeline import IngestReport, Ingester
from ingest.settings import Settings

from .feedback import FeedbackLog
from .labels import label
from .limits import RateLimiter

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class QuestionError(ValueError):
    """A question the server will not answer (empty, too long, bad filter); ``status`` is its HTTP code."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


class ArticleCatalog:
    """The store's article list, re-read only when the store has changed."""

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._articles: list[dict] = []

    def articles(self) -> list[dict]:
        key = (self.store.generation(), self.store.count())
        with self._lock:
            if key != self._key:
                self._articles = self.store.articles()
                self._key = key
            return self._articles

    def outlets(self) -> list[str]:
        return sorted({a["source"] for a in self.articles() if a.get("source")})

    def languages(self) -> list[str]:
        return sorted({a["lang"] for a in self.articles() if a.get("lang")})

    def example_questions(self, lang: str, n: int = 4) -> list[str]:
        """Questions about the most recent articles, made from their titles."""
        out = []
        for a in self.articles():
            title = " ".join((a.get("title") or "").split())
            if not title:
                continue
            words = title.split(" ")
            short = " ".join(words[:10]) + ("…" if len(words) > 10 else "")
            q = label(lang, "example_q", title=short)
            if q not in out:
                out.append(q)
            if len(out) >= n:
                break
        return out


@dataclass
class IngestProgress:
    report: IngestReport = field(default_factory=IngestReport)
    errors: list[str] = field(default_factory=list)
    done: bool = False
    waiting: bool = False
    failure: str = ""


class IngestRunner:
    """Runs ingests in a worker thread, one at a time, while questions keep being answered."""

    def __init__(self, store, settings: Settings):
        self.store = store
        # URLs come from visitors here: they must not make the server fetch from its own
        # loopback or private network (redirects included) unless the operator allows it.
        self.settings = settings.model_copy(update={"block_private_urls": not settings.allow_private_urls})
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def start(self, inputs: list[str], rename: Callable[[str], str] = lambda m: m,
              cleanup: Path | None = None) -> tuple[threading.Thread, IngestProgress]:
        """Start ingesting ``inputs``; the returned progress object fills in as it goes."""
        progress = IngestProgress(waiting=self.busy)

        def run() -> None:
            try:
                with self._lock:
                    progress.waiting = False
                    progress.report = Ingester(self.store, self.settings).ingest(
                        inputs, progress=False,
                        on_error=lambda msg: progress.errors.append(rename(msg)),
                        on_progress=lambda rep: setattr(progress, "report", rep))
            except Exception as exc:  # reported to the user; the server goes on
                progress.failure = f"ingest failed: {type(exc).__name__}: {exc}"
            finally:
                progress.done = True
                if cleanup is not None:
                    shutil.rmtree(cleanup, ignore_errors=True)

        thread = threading.Thread(target=run, name="newsbot-ingest", daemon=True)
        thread.start()
        return thread, progress

    def ingest_files(self, files: list[tuple[str, bytes]], urls: list[str]) -> IngestProgress:
        """Write uploaded (name, content) pairs to a temporary folder and ingest them with ``urls``; blocks."""
        tmp = Path(tempfile.mkdtemp(prefix="newsbot-upload-"))
        inputs = []
        for i, (name, content) in enumerate(files):
            safe = Path(name or f"upload-{i}").name or f"upload-{i}"
            target = tmp / f"{i:03d}" / safe
            target.parent.mkdir()
            target.write_bytes(content)
            inputs.append(str(target))

        def rename(msg: str) -> str:
            for path in inputs:
                msg = msg.replace(path, Path(path).name)
            return msg

        thread, progress = self.start(inputs + urls, rename=rename, cleanup=tmp)
        thread.join()
        return progress


class ServerContext:
    """The one bot and its companions, shared by every door of the server."""

    def __init__(self, settings: Settings, bot: NewsBot):
        self.settings = settings
        self.bot = bot
        self.catalog = ArticleCatalog(bot.store)
        self.ingests = IngestRunner(bot.store, settings)
        self.feedback = FeedbackLog(settings.feedback_log)
        self.limiter = RateLimiter(settings.rate_limit_per_minute)

    def check_question(self, question: str, lang: str = "en") -> str:
        q = (question or "").strip()
        if not q:
            raise QuestionError("question is empty")
        if len(q) > self.settings.max_question_chars:
            raise QuestionError(label(lang, "too_long", n=len(q), limit=self.settings.max_question_chars))
        return q

    def filters(self, source=None, since: str = "", until: str = "", lang: str = "", ui: str = "en") -> Filters:
        """Filters from form or query values; dates must be YYYY-MM-DD."""
        for name, value in (("since", since), ("until", until)):
            if value and not _DATE_RE.match(value.strip()):
                raise QuestionError(label(ui, "bad_date", field=name, value=value))
        return Filters.from_dict({"source": source or (), "since": (since or "").strip(),
                                  "until": (until or "").strip(), "lang": lang or ""})
