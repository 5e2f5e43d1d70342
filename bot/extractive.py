"""The extractive answerer: it works offline without any language model, quotes the best sentences
of the top passages by the :class:`~bot.sentence_scorer.SentenceScorer`, each followed by its
``[n]`` marker, and refuses when the evidence is weak.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from ingest.lexical import words

from .answer_types import Answer, Citation, Passage
from .answerer import Answerer, refusal
from .quotable import quotable
from .sentence_scorer import Idf, ScoredSentence, SentenceScorer


@dataclass(frozen=True)
class AnswerConfig:
    """How the extractive answerer picks and refuses (the companion of :class:`~bot.retriever.SearchConfig`;
    both are recorded with every evaluation and benchmark result). Tuning builds new ones."""

    top_passages: int = 5  # passages whose sentences are scored
    max_sentences: int = 3  # sentences quoted at most
    follow_ratio: float = 0.5  # a further sentence is quoted when it scores at least this share of the best
    min_evidence: float = 1.72  # refuse below this evidence (see ExtractiveAnswerer.evidence)
    cross_language_margin: float = 0.14  # the bar is this much lower across languages (fitted, docs/answers.md)
    coverage_weight: float = 0.2  # weight of the best sentence's word coverage in the evidence


class ExtractiveAnswerer(Answerer):
    """Quotes the best-supported sentences of the top passages, each with its citation.

    Refuses when the evidence (embedding similarity of the best passage and sentence, word
    coverage of the best sentence) is below a threshold calibrated on PIAF questions asked of a
    store without their article (see ``docs/answers.md``). ``config`` (or single fields given by
    name, e.g. ``max_sentences=1``) sets how.
    """

    answerer_name = "extractive"

    def __init__(self, config: AnswerConfig | None = None, scorer: SentenceScorer | None = None, **fields):
        self.scorer = scorer or SentenceScorer()
        self.config = replace(config or AnswerConfig(), **fields)

    top_passages = property(lambda self: self.config.top_passages)
    max_sentences = property(lambda self: self.config.max_sentences)
    follow_ratio = property(lambda self: self.config.follow_ratio)
    min_evidence = property(lambda self: self.config.min_evidence)
    cross_language_margin = property(lambda self: self.config.cross_language_margin)
    coverage_weight = property(lambda self: self.config.coverage_weight)

    def describe(self) -> dict:
        return {"answerer": self.answerer_name, **asdict(self.config)}

    def evidence(self, passages: list[Passage], best: ScoredSentence | None) -> float:
        """How strongly the passages support an answer: the best passage's and the best sentence's
        embedding similarity to the question, plus the weighted word coverage of the best sentence."""
        dense = max((p.dense_score or 0.0 for p in passages), default=0.0)
        sentence = max((x for p in passages for _, _, x in p.sentences), default=dense)
        return dense + sentence + self.coverage_weight * (best.coverage if best else 0.0)

    def threshold(self, passages: list[Passage], lang: str) -> float:
        """The evidence needed to answer. Embeddings of a question and a passage in different
        languages are less similar even when they match, so the bar is lower across languages:
        by the margin at which English questions on French articles are refused as often as their
        French originals (``python -m training.cross_language_refusal``, docs/answers.md)."""
        langs = {p.metadata.get("lang", "") for p in passages[:1]}
        cross = bool(lang) and bool(langs - {"", lang})
        return self.min_evidence - (self.cross_language_margin if cross else 0.0)

    def answer(self, question: str, passages: list[Passage], lang: str = "en", avoid: tuple[str, ...] = (),
               idf: Idf | None = None) -> Answer:
        """``avoid``: earlier answers of the conversation; a follow-up is not answered by repeating
        a sentence they already quoted."""
        top = passages[: self.top_passages]
        scored = self.scorer.score(question, top, lang, idf) if top else []
        scored = [s for s in scored if quotable(top[s.passage_rank].text[s.start:s.end], question)]
        if avoid:
            fresh = [s for s in scored if not any(top[s.passage_rank].text[s.start:s.end] in a for a in avoid)]
            scored = fresh or scored
        best = scored[0] if scored else None
        confidence = self.evidence(top, best)
        if best is None or confidence < self.threshold(top, lang):
            return refusal(question, lang, confidence)
        chosen = [best]
        floor = best.score * self.follow_ratio if best.score > 0 else best.score - 1.0
        for s in scored[1:]:
            if len(chosen) >= self.max_sentences or s.score < floor:
                break
            if any(c.passage_rank == s.passage_rank and c.start == s.start for c in chosen):
                continue
            if any(same_text(top[c.passage_rank].text[c.start:c.end], top[s.passage_rank].text[s.start:s.end]) for c in chosen):
                continue  # the same sentence in an overlapping chunk or a copy of the story
            chosen.append(s)
        return compose_answer(question, top, chosen, confidence)


def same_text(a: str, b: str) -> bool:
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
