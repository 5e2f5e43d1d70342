"""``NewsBot``: the single entry point of the CLI, the web chat, the REST API and the evaluation.

Models and indexes are loaded once, when the bot is built, and handed in. A question goes:
follow-up rewrite (with the chat history) → time scope (``as_of``, the period the question
names) → hybrid search → answerer (extractive, or an LLM with verified citations and an
extractive fallback) → time phrases of the cited passages resolved to dates.
"""
from __future__ import annotations

import time
from dataclasses import asdict
from datetime import date
from typing import Iterator

from ingest.questions_first import QuestionGate
from ingest.store import Store

from .answer_types import Answer, Filters
from .answerer import Answerer
from .events import AnswerEvent, NoticeEvent, StreamEvent, answer_of
from .extractive import AnswerConfig, ExtractiveAnswerer
from .followup import Turn, recent_turns, standalone_question
from .news_time import date_citations, parse_as_of, question_time
from .questions import question_language
from .retriever import CrossEncoderReranker, HybridSearch, SearchConfig
from .settings import BotSettings

__all__ = ["NewsBot", "Turn"]


def short_answer_date(answer: Answer) -> str:
    """The resolved date of the time phrase that the short answer quotes ("jeudi 3 juillet" →
    ``2025-07-03``), read from the first citation's dates; "" when the short answer is no time
    phrase."""
    if not answer.short_answer or not answer.citations:
        return ""
    c = answer.citations[0]
    for a, b in c.highlight or [[0, len(c.passage)]]:
        i = c.passage.find(answer.short_answer, a, b)
        if i >= 0:
            j = i + len(answer.short_answer)
            return next((d["value"] for d in c.dates if d["start"] < j and d["end"] > i), "")
    return ""


def default_answerer(reader: bool = True, config: AnswerConfig | None = None) -> ExtractiveAnswerer:
    """The reader (the default) when its model is installed, else the hand-weighted scorer."""
    from .reader import Reader
    from .reading_answerer import ReadingAnswerer

    if reader and Reader.available():
        return ReadingAnswerer(config=config)
    return ExtractiveAnswerer(config=config)


class NewsBot:
    def __init__(self, store: Store, search: HybridSearch | None = None, answerer: Answerer | None = None):
        self.store = store
        self.search = search or HybridSearch(store)
        self.answerer = answerer or default_answerer()
        # Questions in flight, counted for the ingests of a server, which wait for them (questions go first).
        self.questions = QuestionGate()

    @classmethod
    def from_settings(cls, settings: BotSettings, search_config: SearchConfig | None = None,
                      answer_config: AnswerConfig | None = None, store: Store | None = None) -> "NewsBot":
        """The bot ``settings`` describe; ``search_config``/``answer_config`` replace the defaults
        (tuning and benchmarks build bots this way instead of changing one in place). ``store``:
        the settings' store already opened (:class:`bot.runtime.Runtime`); else it is opened here."""
        store = store if store is not None else Store.open(settings)
        reranker = CrossEncoderReranker(settings.reranker) if settings.reranker else None
        search = HybridSearch(store, config=search_config, reranker=reranker)
        extractive = default_answerer(settings.reader, answer_config)
        answerer: Answerer = extractive
        if settings.llm_base_url:
            from .llm import LLMAnswerer

            answerer = LLMAnswerer.from_settings(settings, fallback=extractive, embedder=store.embedder)
        return cls(store, search=search, answerer=answerer)

    def configs(self) -> dict:
        """How this bot searches and answers: ``{"search": SearchConfig, "answer": the answerer's
        settings}`` as JSON values, recorded with every evaluation and benchmark result."""
        return {"search": asdict(self.search.config), "answer": self.answerer.describe()}

    def answer_language(self, question: str, history: list[Turn] | None) -> str:
        """The answer's language: the question's, else the conversation's, else English."""
        lang = question_language(question)
        if not lang:
            earlier = [question_language(t.question) for t in (history or [])]
            lang = next((x for x in reversed(earlier) if x), "en")
        return lang

    def _prepare(self, question: str, history: list[Turn] | None, filters: Filters | None, k: int,
                 as_of: str | date | None):
        t0 = time.perf_counter()
        lang = self.answer_language(question, history)
        query = standalone_question(question, history, self.answerer.rewrite)
        scope = question_time(query, parse_as_of(as_of))
        retrieval = self.search.retrieve(query, k=k, filters=filters, time=scope)
        return query, lang, retrieval, scope, time.perf_counter() - t0

    def ask(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
            k: int = 5, as_of: str | date | None = None) -> Answer:
        """The answer to ``question`` asked as of ``as_of`` (``YYYY-MM-DD``; today by default)."""
        return answer_of(self.stream(question, history=history, filters=filters, k=k, tokens=False, as_of=as_of))

    def stream(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
               k: int = 5, tokens: bool = True, as_of: str | date | None = None) -> Iterator[StreamEvent]:
        """Yield the answerer's :class:`~bot.events.TokenEvent` events (only when it
        ``streams_tokens``; an extractive answer comes whole) and :class:`~bot.events.NoticeEvent`
        events (the LLM is unavailable, a citation was dropped), then one :class:`~bot.events.AnswerEvent`.
        Only the latest turns of ``history`` are read (see :func:`recent_turns`)."""
        with self.questions.question():
            yield from self._stream(question, history, filters, k, tokens, as_of)

    def _stream(self, question: str, history: list[Turn] | None, filters: Filters | None, k: int,
                tokens: bool, as_of: str | date | None) -> Iterator[StreamEvent]:
        history = recent_turns(history)
        query, lang, retrieval, scope, retrieve_s = self._prepare(question, history, filters, k, as_of)
        passages = retrieval.passages
        t1 = time.perf_counter()
        answer = None
        # A rewritten follow-up must not be answered by repeating what the conversation already said.
        earlier = tuple(t.answer for t in history or () if t.answer) if query != question else ()
        for event in self.answerer.stream(query, passages, lang, earlier, retrieval.idf):
            if isinstance(event, AnswerEvent):
                answer = event.answer
            elif tokens or isinstance(event, NoticeEvent):
                yield event
        if answer is None:
            raise RuntimeError(f"{type(self.answerer).__name__}.stream ended without its answer event")
        answer.question = question
        answer.passages = passages
        answer.as_of = scope.as_of.isoformat()
        date_citations(answer.citations, passages)
        answer.short_date = short_answer_date(answer)
        if query != question:
            answer.query = query
        answer.timings.update({"retrieve_ms": round(retrieve_s * 1000, 1),
                               "answer_ms": round((time.perf_counter() - t1) * 1000, 1)})
        yield AnswerEvent(answer)
