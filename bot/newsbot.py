"""``NewsBot``: the single entry point of the CLI, the web chat, the REST API and the evaluation.

Models and indexes are loaded once, when the bot is built, and handed in.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ingest.embedders import make_embedder
from ingest.language import detect_language
from ingest.settings import Settings
from ingest.store import Store

from .answerers import Answerer, ExtractiveAnswerer
from .model import Answer, Filters
from .retriever import HybridSearch


@dataclass
class Turn:
    question: str
    answer: str = ""


class NewsBot:
    def __init__(self, store: Store, search: HybridSearch | None = None, answerer: Answerer | None = None,
                 settings: Settings | None = None):
        self.settings = settings or Settings()
        self.store = store
        self.search = search or HybridSearch(store)
        self.answerer = answerer or ExtractiveAnswerer()

    @classmethod
    def from_settings(cls, settings: Settings) -> "NewsBot":
        embedder = make_embedder(settings.embedder, settings.model_load_timeout)
        store = Store(settings.store, embedder, chroma_url=settings.chroma_url)
        return cls(store, settings=settings)

    def ask(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
            k: int = 5) -> Answer:
        t0 = time.perf_counter()
        lang = detect_language(question) or "en"
        passages = self.search.search(question, k=k, filters=filters)
        t1 = time.perf_counter()
        answer = self.answerer.answer(question, passages, lang=lang if lang in ("en", "fr") else "en")
        t2 = time.perf_counter()
        answer.passages = passages
        answer.timings = {"retrieve_ms": round((t1 - t0) * 1000, 1), "answer_ms": round((t2 - t1) * 1000, 1)}
        return answer

    def stream(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
               k: int = 5):
        """Yield ``{"type": "token", "text": ...}`` events, then ``{"type": "answer", "answer": Answer}``."""
        answer = self.ask(question, history=history, filters=filters, k=k)
        for word in answer.answer.split(" "):
            yield {"type": "token", "text": word + " "}
        yield {"type": "answer", "answer": answer}
