"""Measurements behind docs/answers.md: retrieval hit rates under a search config, answer sentence
rates, refusal precision/recall (with a threshold sweep) and latency of ``NewsBot.ask``.

    newsbot bench answers retrieval --store STORE --qa piaf_dev.jsonl [--set rrf_k=60 --set sentence_weight=0]
    newsbot bench answers answers   --store STORE --qa piaf_dev.jsonl
    newsbot bench answers refusal   --store HALF_STORE --qa piaf_dev.jsonl [--seed-store S --seed-qa seed_dev.jsonl]

A hit is a passage containing one of the answer strings (:func:`bot.answermatch.contains_answer`).
For ``refusal``, a question is answerable when its ``article_id`` is in the store (or, without an
``article_id``, when it lists answers); every other question should be refused. Each bot is
built from configs (:class:`SearchConfig`, :class:`AnswerConfig`), recorded in the result.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from bot.answer_types import quoted_parts
from bot.answermatch import contains_answer
from bot.extractive import AnswerConfig
from bot.retriever import SearchConfig

from . import metrics as m
from .qa import QAItem


def build_bot(store: Path, search: SearchConfig | None = None, answer: AnswerConfig | None = None):
    """The bot of the store at ``store`` (settings from the environment) with these configs."""
    from bot.newsbot import NewsBot
    from bot.settings import BotSettings

    return NewsBot.from_settings(BotSettings(store=store), search_config=search, answer_config=answer)


@dataclass
class RetrievalResult:
    questions: int
    configs: dict
    hits: dict[int, float]
    search_ms_p50: float

    def to_dict(self) -> dict:
        return {"questions": self.questions, "configs": self.configs,
                **{f"hit@{k}": v for k, v in self.hits.items()}, "search_ms_p50": self.search_ms_p50}


def bench_retrieval(store: Path, items: Sequence[QAItem], search: SearchConfig | None = None) -> RetrievalResult:
    """hit@1/5/10 of the bot's search alone (k = 10), and its median time."""
    bot = build_bot(store, search=search)
    hits = {1: 0, 5: 0, 10: 0}
    times = []
    for it in items:
        t0 = time.perf_counter()
        passages = bot.search.search(it.question, k=10)
        times.append((time.perf_counter() - t0) * 1000)
        for k in hits:
            hits[k] += any(contains_answer(p.text, it.answers) for p in passages[:k])
    return RetrievalResult(len(items), bot.configs(), {k: round(v / len(items), 4) for k, v in hits.items()},
                           round(m.percentile(times, 50), 1))


@dataclass
class SentenceResult:
    questions: int
    configs: dict
    first_sentence: float
    within_first_three: float
    ask_ms_p50: float
    ask_ms_p95: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def bench_answers(store: Path, items: Sequence[QAItem]) -> SentenceResult:
    """How often the answer's first quoted sentence (or one of its first three) holds an answer
    string; refusals are switched off (``min_evidence`` 0): the sentence choice is measured."""
    bot = build_bot(store, answer=AnswerConfig(min_evidence=0.0))
    first = three = 0
    times = []
    for it in items:
        t0 = time.perf_counter()
        ans = bot.ask(it.question, k=5)
        times.append((time.perf_counter() - t0) * 1000)
        sents = quoted_parts(ans.answer)
        first += bool(sents) and contains_answer(sents[0], it.answers)
        three += any(contains_answer(s, it.answers) for s in sents[:3])
    return SentenceResult(len(items), bot.configs(), round(first / len(items), 4), round(three / len(items), 4),
                          round(m.percentile(times, 50), 1), round(m.percentile(times, 95), 1))


@dataclass(frozen=True)
class Confidence:
    """One question of the refusal benchmark: the bot's evidence (shifted by the cross-language
    margin so that one threshold applies to all), whether the store answers it, and features."""

    evidence: float
    answerable: bool
    features: dict = field(default_factory=dict)


def confidences(store: Path, items: Sequence[QAItem], configs: dict | None = None) -> list[Confidence]:
    """The :class:`Confidence` of every question asked of the bot of ``store``; its configs are
    written into ``configs`` when given (the refusal result records them)."""
    bot = build_bot(store)
    if configs is not None:
        configs.update(bot.configs())
    answerer = bot.answerer
    default = answerer.min_evidence
    in_store = {a["id"] for a in bot.store.articles()}
    out = []
    for it in items:
        answerable = it.article_id in in_store if it.article_id else it.answerable
        ans = bot.ask(it.question, k=5)
        top = ans.passages[:5]
        lang = bot.answer_language(it.question, None)
        scored = answerer.scorer.score(it.question, top, lang, bot.store.lexical().idf)
        shift = default - answerer.threshold(top, lang)
        out.append(Confidence(ans.confidence + shift, answerable, {
            "dense": max((p.dense_score or 0.0 for p in top), default=0.0),
            "sentence": max((x for p in top for _, _, x in p.sentences), default=0.0),
            "coverage": scored[0].coverage if scored else 0.0}))
    return out


def refusal_at(conf: Sequence[Confidence], threshold: float) -> dict:
    """Refusal precision and recall (:func:`evaluation.metrics.refusal_scores`) when every question
    with evidence below ``threshold`` is refused, and the share of answerable questions refused."""
    refused = [c.evidence < threshold for c in conf]
    answerable = [c.answerable for c in conf]
    precision, recall = m.refusal_scores(answerable, refused)
    wrong = m.ratio(sum(r and a for r, a in zip(refused, answerable)), sum(answerable))
    return {"threshold": threshold, "precision": None if precision is None else round(precision, 4),
            "recall": None if recall is None else round(recall, 4),
            "answerable_refused": None if wrong is None else round(wrong, 4)}


@dataclass
class RefusalResult:
    questions: int
    negatives: int
    configs: dict
    at_default: dict
    sweep: list[dict]
    confidences: list[Confidence] = field(repr=False, default_factory=list)

    def to_dict(self) -> dict:
        return {"questions": self.questions, "negatives": self.negatives, "configs": self.configs,
                "at_default": self.at_default, "sweep": self.sweep}


def bench_refusal(conf: Sequence[Confidence], configs: dict,
                  thresholds: Sequence[float] = tuple(x / 100 for x in range(164, 182, 2))) -> RefusalResult:
    """Refusal at the bot's own threshold (``configs["answer"]["min_evidence"]``) and over ``thresholds``."""
    default = configs.get("answer", {}).get("min_evidence", AnswerConfig().min_evidence)
    return RefusalResult(len(conf), sum(1 for c in conf if not c.answerable), configs,
                         refusal_at(conf, default), [refusal_at(conf, t) for t in thresholds], list(conf))
