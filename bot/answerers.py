"""Answerers: a question and retrieved passages in, an :class:`Answer` with citations out.

``ExtractiveAnswerer`` works offline without any language model: it scores every sentence of the
top passages (question words it covers, weighted by rarity; whether it holds the kind of answer
asked for — a date for "when", a number for "how many"…; its passage's rank), quotes the best
ones, each followed by its ``[n]`` marker, and refuses when the evidence is weak.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Protocol

from ingest.chunking import split_sentences
from ingest.lexical import query_word_forms, tokenize, words

from .model import Answer, Citation, Passage
from .questions import OTHER, has_expected_answer, question_type

REFUSAL = {
    "en": "The articles do not say.",
    "fr": "Les articles ne le disent pas.",
}


class Answerer(Protocol):
    def answer(self, question: str, passages: list[Passage], lang: str = "en") -> Answer: ...


def refusal(question: str, lang: str, confidence: float = 0.0) -> Answer:
    return Answer(question=question, answer=REFUSAL.get(lang, REFUSAL["en"]), refused=True, citations=[],
                  confidence=confidence)


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of a passage: ``start``/``end`` are offsets inside the passage text."""

    passage_rank: int
    start: int
    end: int
    coverage: float  # rarity-weighted share of the question's words found in the sentence (and its lead-in)
    typed: bool  # holds the kind of answer the question asks for
    score: float


class SentenceScorer:
    """Scores the sentences of passages against a question.

    ``idf_source()`` returns, once per question, ``idf(stem) -> float``: the rarity of a stemmed
    word in the store (0 when unknown);
    words the store has never seen count as the rarest, so a question about something absent
    from the articles gets low coverage.
    """

    def __init__(self, idf_source: Callable[[], Callable[[str], float]] | None = None, max_idf: float = 8.0,
                 type_weight: float = 0.25,
                 rank_weight: float = 0.08, context_weight: float = 0.3, length_weight: float = 0.0):
        self.idf_source = idf_source
        self.max_idf = max_idf
        self.type_weight = type_weight
        self.rank_weight = rank_weight
        self.context_weight = context_weight
        self.length_weight = length_weight

    def _weights(self, question: str) -> dict[str, tuple[set[str], float]]:
        forms = query_word_forms(question, ["fr", "en"])
        idf = self.idf_source() if self.idf_source is not None else None
        out = {}
        for w, fs in forms.items():
            if idf is None:
                weight = 1.0
            else:
                weight = max((idf(f) for f in fs), default=0.0) or self.max_idf
            out[w] = (fs, weight)
        return out

    def score(self, question: str, passages: list[Passage]) -> list[ScoredSentence]:
        weights = self._weights(question)
        total = sum(w for _, w in weights.values()) or 1.0
        kind = question_type(question)
        out: list[ScoredSentence] = []
        for rank, p in enumerate(passages):
            lang = p.metadata.get("lang", "")
            spans = split_sentences(p.text)
            covs, lengths = [], []
            for a, b in spans:
                sent = p.text[a:b]
                plain = words(sent)
                toks = set(tokenize(sent, lang)) | set(plain)
                covs.append(sum(w for fs, w in weights.values() if fs & toks) / total)
                lengths.append(len(plain))
            for i, (a, b) in enumerate(spans):
                # A sentence often answers in the context set by the one before it ("Ten days
                # earlier, they had discussed…"): part of the lead-in's coverage carries over.
                lead = covs[i - 1] if i else 0.0
                cov = min(1.0, covs[i] + self.context_weight * max(0.0, lead - covs[i]))
                typed = kind != OTHER and has_expected_answer(kind, p.text[a:b], question)
                # Long sentences cover more words by chance: a mild penalty past ~20 content words.
                long_penalty = self.length_weight * max(0.0, math.log(max(lengths[i], 1) / 20))
                score = cov + (self.type_weight if typed else 0.0) - self.rank_weight * math.log1p(rank) - long_penalty
                out.append(ScoredSentence(rank, a, b, cov, typed, score))
        out.sort(key=lambda s: s.score, reverse=True)
        return out


class ExtractiveAnswerer:
    """Quotes the best-supported sentences of the top passages, each with its citation.

    Refuses when the best passage is not close to the question (dense similarity) and the best
    sentence covers little of it; the thresholds are calibrated in ``docs/answers.md``.
    """

    answerer_name = "extractive"

    def __init__(self, idf_source: Callable[[], Callable[[str], float]] | None = None, top_passages: int = 5,
                 max_sentences: int = 2,
                 follow_ratio: float = 0.85, min_evidence: float = 0.80, coverage_weight: float = 0.1,
                 scorer: SentenceScorer | None = None):
        self.scorer = scorer or SentenceScorer(idf_source)
        self.top_passages = top_passages
        self.max_sentences = max_sentences
        self.follow_ratio = follow_ratio
        self.min_evidence = min_evidence
        self.coverage_weight = coverage_weight

    def evidence(self, passages: list[Passage], best: ScoredSentence | None) -> float:
        """How strongly the passages support an answer: best dense similarity plus weighted coverage."""
        dense = max((p.dense_score or 0.0 for p in passages), default=0.0)
        return dense + self.coverage_weight * (best.coverage if best else 0.0)

    def answer(self, question: str, passages: list[Passage], lang: str = "en") -> Answer:
        top = passages[: self.top_passages]
        scored = self.scorer.score(question, top) if top else []
        best = scored[0] if scored else None
        confidence = self.evidence(top, best)
        if best is None or confidence < self.min_evidence:
            return refusal(question, lang, confidence)
        chosen = [best]
        for s in scored[1:]:
            if len(chosen) >= self.max_sentences or s.score < self.follow_ratio * best.score:
                break
            if any(c.passage_rank == s.passage_rank and c.start == s.start for c in chosen):
                continue
            if any(_same_text(top[c.passage_rank].text[c.start:c.end], top[s.passage_rank].text[s.start:s.end]) for c in chosen):
                continue  # the same sentence in an overlapping chunk or a copy of the story
            chosen.append(s)
        return compose_answer(question, top, chosen, confidence)


def _same_text(a: str, b: str) -> bool:
    return words(a) == words(b)


def compose_answer(question: str, passages: list[Passage], chosen: list[ScoredSentence], confidence: float) -> Answer:
    """Quote ``chosen`` sentences in order of score, numbering citations by first use."""
    numbers: dict[int, int] = {}
    spans: dict[int, list[list[int]]] = {}
    parts = []
    for s in chosen:
        n = numbers.setdefault(s.passage_rank, len(numbers) + 1)
        spans.setdefault(s.passage_rank, []).append([s.start, s.end])
        parts.append(f"{passages[s.passage_rank].text[s.start:s.end]} [{n}]")
    citations = [Citation.from_passage(n, passages[rank], sorted(spans[rank])) for rank, n in numbers.items()]
    return Answer(question=question, answer=" ".join(parts), refused=False, citations=citations, confidence=confidence)
