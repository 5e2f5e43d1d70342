"""Answerers: a question and retrieved passages in, an :class:`Answer` with citations out.

``ExtractiveAnswerer`` works offline without any language model: it quotes the passage
sentences that best answer the question, each followed by its ``[n]`` marker.
"""
from __future__ import annotations

from typing import Protocol

from ingest.chunking import split_sentences
from ingest.lexical import words

from .model import Answer, Citation, Passage

REFUSAL = {
    "en": "The articles do not say.",
    "fr": "Les articles ne le disent pas.",
}


class Answerer(Protocol):
    def answer(self, question: str, passages: list[Passage], lang: str = "en") -> Answer: ...


def refusal(question: str, lang: str, confidence: float = 0.0) -> Answer:
    return Answer(question=question, answer=REFUSAL.get(lang, REFUSAL["en"]), refused=True, citations=[],
                  confidence=confidence)


class ExtractiveAnswerer:
    """Picks the best-supported sentence of the top passages and quotes it with a citation."""

    def __init__(self, min_dense: float = 0.80, top_passages: int = 5):
        self.min_dense = min_dense
        self.top_passages = top_passages

    def answer(self, question: str, passages: list[Passage], lang: str = "en") -> Answer:
        top = passages[: self.top_passages]
        best_dense = max((p.dense_score or 0.0 for p in top), default=0.0)
        if not top or best_dense < self.min_dense:
            return refusal(question, lang, best_dense)
        q = set(words(question))
        best = None
        for rank, p in enumerate(top):
            for a, b in split_sentences(p.text):
                overlap = len(q & set(words(p.text[a:b])))
                score = overlap + 1.0 / (rank + 1)
                if best is None or score > best[0]:
                    best = (score, p, a, b)
        _, p, a, b = best
        cit = Citation.from_passage(1, p, [[a, b]])
        return Answer(question=question, answer=f"{p.text[a:b]} [1]", refused=False, citations=[cit],
                      confidence=best_dense)
