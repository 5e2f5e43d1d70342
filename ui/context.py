"""What the chat, the REST API and the widget share: the process's :class:`~bot.runtime.Runtime`
(one bot, one store, the ingests in the background of the questions), one ingest at a time, and
:meth:`ServerContext.prepare`, the one check of a question before it is answered.

Built once per process and handed to each door, so tests can build it around a small real store.
"""
from __future__ import annotations

import re
import shutil
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from bot.answer_types import Answer, Filters
from bot.errors import QuestionError, RateLimited
from bot.events import AnswerEvent, StreamEvent, TokenEvent
from bot.followup import Turn, turns_from
from bot.news_time import is_calendar_day
from bot.runtime import Runtime
from ingest.model import ArticleSummary
from ingest.pipeline import Ingester, IngestReport

from .feedback import FeedbackLog
from .labels import label
from .limits import RateLimiter
from .settings import Settings

__all__ = ["ArticleCatalog", "IngestRunner", "PreparedQuestion", "QuestionError", "ServerContext", "MAX_INPUTS"]

MAX_INPUTS = 100  # files and URLs in one add-articles request
MAX_OUTLETS = 100  # outlets in one filter


def upload_name(name: str | None, index: int, limit: int = 120) -> str:
    """A file name for an upload that can only name a file inside its own folder: the last part
    of what the client sent, without control characters, never "." or "..", at most ``limit``
    characters (the suffix, which picks the loader, is kept)."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if base.strip(".") == "":
        return f"upload-{index}"
    if len(base) > limit:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: limit - len(suffix) - 1] + "." + suffix) if dot and 0 < len(suffix) <= 10 else base[:limit]
    return base


class ArticleCatalog:
    """The store's article list, re-read only when the store has changed."""

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._articles: list[ArticleSummary] = []

    def articles(self) -> list[ArticleSummary]:
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


@contextmanager
def quick_thread_switches(interval: float = 0.0005) -> Iterator[None]:
    """While an ingest parses and chunks articles in Python, a question's thread waits for the
    interpreter lock each time it comes back from C code (Chroma, numpy, the embedder): up to
    the switch interval (5 ms by default) each time, seconds per question in all. A shorter
    interval hands the lock over sooner."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, interval))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@dataclass
class IngestProgress:
    report: IngestReport = field(default_factory=IngestReport)
    errors: list[str] = field(default_factory=list)
    done: bool = False
    waiting: bool = False
    failure: str = ""


class IngestRunner:
    """Runs ingests in a worker thread, one at a time, while questions keep being answered.

    Questions go first: each ingest is the runtime's :meth:`~bot.runtime.Runtime.ingester`, which
    waits while questions are in flight before each article, passage and store write, and embeds
    at a lower CPU priority (niceness ``NEWSBOT_INGEST_NICENESS``).
    """

    def __init__(self, runtime: Runtime, settings: Settings):
        self.runtime = runtime
        # URLs come from visitors here: they must not make the server fetch from its own
        # loopback or private network (redirects included) unless the operator allows it.
        self.settings = settings.model_copy(update={"block_private_urls": not settings.allow_private_urls})
        self._lock = threading.Lock()

    def ingester(self) -> Ingester:
        """An ingester of visitors' inputs that lets the questions pass."""
        return self.runtime.ingester(self.settings)

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def start(self, inputs: list[str], rename: Callable[[str], str] = lambda m: m,
              cleanup: Path | None = None, delete_files: Iterable[str] = ()) -> tuple[threading.Thread, IngestProgress]:
        """Start ingesting ``inputs``; the returned progress object fills in as it goes. Once it
        is over, the folder ``cleanup`` and the files ``delete_files`` (uploads, each with its
        folder when that is left empty) are deleted, whatever happened."""
        delete_files = list(delete_files)
        progress = IngestProgress(waiting=self.busy)

        def run() -> None:
            try:
                with self._lock, quick_thread_switches():
                    progress.waiting = False
                    progress.report = self.ingester().ingest(
                        inputs, progress=False,
                        on_error=lambda msg: progress.errors.append(rename(msg)),
                        on_progress=lambda rep: setattr(progress, "report", rep))
            except Exception as exc:  # reported to the user; the server goes on
                progress.failure = f"ingest failed: {type(exc).__name__}: {exc}"
            finally:
                progress.done = True
                if cleanup is not None:
                    shutil.rmtree(cleanup, ignore_errors=True)
                _delete_uploads(delete_files)

        thread = threading.Thread(target=run, name="newsbot-ingest", daemon=True)
        thread.start()
        return thread, progress

    def ingest_files(self, files: list[tuple[str, bytes]], urls: list[str]) -> IngestProgress:
        """Write uploaded (name, content) pairs to a temporary folder and ingest them with ``urls``; blocks."""
        tmp = Path(tempfile.mkdtemp(prefix="newsbot-upload-"))
        inputs = []
        try:
            for i, (name, content) in enumerate(files):
                target = tmp / f"{i:03d}" / upload_name(name, i)
                target.parent.mkdir()
                target.write_bytes(content)
                inputs.append(str(target))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

        def rename(msg: str) -> str:
            for path in inputs:
                msg = msg.replace(path, Path(path).name)
            return msg

        thread, progress = self.start(inputs + urls, rename=rename, cleanup=tmp)
        thread.join()
        return progress


def _delete_uploads(paths: list[str]) -> None:
    """Delete uploaded files, and the folder of each when it is left empty (Gradio keeps every
    upload in a folder of its own)."""
    for p in map(Path, paths):
        p.unlink(missing_ok=True)
        try:
            p.parent.rmdir()
        except OSError:  # not empty, or gone
            pass


@dataclass(frozen=True)
class PreparedQuestion:
    """A question that passed :meth:`ServerContext.prepare`: trimmed, within every limit."""

    question: str
    history: list[Turn]
    filters: Filters
    k: int = 5


def word_tokens(text: str) -> Iterator[TokenEvent]:
    """``text`` as token events of one word each (the typing effect of a whole answer)."""
    words = text.split(" ")
    for i, word in enumerate(words):
        yield TokenEvent(word + (" " if i < len(words) - 1 else ""))


class ServerContext:
    """The runtime's one bot and its companions, shared by every door of the server."""

    def __init__(self, settings: Settings, runtime: Runtime):
        self.settings = settings
        self.runtime = runtime
        self.bot = runtime.bot
        self.catalog = ArticleCatalog(runtime.store)
        self.ingests = IngestRunner(runtime, settings)
        self.feedback = FeedbackLog(settings.feedback_path(), max_record_bytes=settings.feedback_max_record_bytes,
                                    max_bytes=settings.feedback_max_bytes)
        self.limiter = RateLimiter(settings.rate_limit_per_minute)

    def check_question(self, question: str, lang: str = "en") -> str:
        q = (question or "").strip()
        if not q:
            raise QuestionError("question is empty")
        if len(q) > self.settings.max_question_chars:
            raise QuestionError(label(lang, "too_long", n=len(q), limit=self.settings.max_question_chars))
        return q

    def check_history(self, turns: list[tuple[str, str]]) -> None:
        """Earlier turns within NEWSBOT_MAX_HISTORY_TURNS and NEWSBOT_MAX_HISTORY_CHARS, else 422."""
        limit = self.settings.max_history_turns
        if len(turns) > limit:
            raise QuestionError(f"history has {len(turns)} turns; at most {limit} are accepted "
                                "(NEWSBOT_MAX_HISTORY_TURNS): send the latest ones")
        size = sum(len(q or "") + len(a or "") for q, a in turns)
        if size > self.settings.max_history_chars:
            raise QuestionError(f"history holds {size} characters; at most {self.settings.max_history_chars} are "
                                "accepted (NEWSBOT_MAX_HISTORY_CHARS): send fewer or shorter turns")

    def filters(self, source=None, since: str = "", until: str = "", lang: str = "", ui: str = "en") -> Filters:
        """Filters from form or query values; dates must be YYYY-MM-DD."""
        sources = [source] if isinstance(source, str) else list(source or ())
        if len(sources) > MAX_OUTLETS or any(not isinstance(x, str) or len(x) > 300 for x in sources):
            raise QuestionError(f"the outlet filter takes at most {MAX_OUTLETS} outlet names of 300 characters")
        for name, value in (("since", since), ("until", until)):
            value = value or ""
            if not isinstance(value, str) or len(value) > 40 or (value and not is_calendar_day(value.strip())):
                raise QuestionError(label(ui, "bad_date", field=name, value=str(value)[:40]))
        if not isinstance(lang or "", str) or len(lang or "") > 8:
            raise QuestionError("the article language filter is a code such as 'fr' (at most 8 characters)")
        return Filters.from_dict({"source": source or (), "since": (since or "").strip(),
                                  "until": (until or "").strip(), "lang": lang or ""})

    def check_rate(self, client: str, ui: str | None = None) -> None:
        """:class:`RateLimited` (HTTP 429, with the seconds to wait) when ``client`` asked too often;
        the message is for a person in ``ui``'s language, or for an API client when ``ui`` is None."""
        wait = self.limiter.retry_after(client or "unknown")
        if wait and ui:
            raise RateLimited(label(ui, "rate", limit=self.limiter.per_minute, wait=round(wait)), wait)
        if wait:
            raise RateLimited(f"too many requests: at most {self.limiter.per_minute} per minute per client "
                              f"(NEWSBOT_RATE_LIMIT_PER_MINUTE); retry in {wait:.0f} s", wait)

    def prepare(self, question, history, filters, client: str, ui: str | None = None, k=5) -> PreparedQuestion:
        """Everything a door checks before a question is answered, once: the client's rate limit,
        the question, the earlier turns (built into :class:`Turn` objects), the filters
        (``{"source", "since", "until", "lang"}``) and ``k``. Raises a :class:`QuestionError` (its
        ``http_status`` says which) with a message in ``ui``'s language (None: an API client)."""
        self.check_rate(client, ui)
        ui = ui or "en"
        q = self.check_question(question if isinstance(question, str) else "", ui)
        turns = turns_from(history)
        self.check_history([(t.question, t.answer) for t in turns])
        f = filters if isinstance(filters, dict) else {}
        flt = self.filters(f.get("source"), f.get("since") or "", f.get("until") or "", f.get("lang") or "", ui=ui)
        if isinstance(k, bool) or not isinstance(k, (int, float)) or not 1 <= k <= 50:
            raise QuestionError("k is the number of passages, from 1 to 50")
        return PreparedQuestion(q, turns, flt, int(k))

    def latest_turns(self, history: list[dict]) -> list[dict]:
        """The latest turns of a conversation the server keeps (the chat's) that fit the history
        limits, so that a long conversation goes on instead of being refused."""
        kept: list[dict] = []
        size = 0
        for turn in reversed(history[-self.settings.max_history_turns:] if self.settings.max_history_turns else []):
            t = turns_from([turn])[0]
            size += len(t.question) + len(t.answer)
            if size > self.settings.max_history_chars:
                break
            kept.insert(0, turn)
        return kept

    def answer(self, prepared: PreparedQuestion, as_of=None) -> Answer:
        return self.bot.ask(prepared.question, history=prepared.history, filters=prepared.filters, k=prepared.k,
                            as_of=as_of)

    def answer_events(self, prepared: PreparedQuestion, as_of=None) -> Iterator[StreamEvent]:
        """The bot's events for ``prepared``; when its answerer does not write token by token, the
        final answer's words come first as token events (the chat's and the stream's typing effect)."""
        for event in self.bot.stream(prepared.question, history=prepared.history, filters=prepared.filters,
                                     k=prepared.k, as_of=as_of):
            if isinstance(event, AnswerEvent) and not self.bot.answerer.streams_tokens:
                yield from word_tokens(event.answer.answer)
            yield event
