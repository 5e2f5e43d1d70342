"""Evaluation metrics: pure functions of answer strings, retrieved passages, answers and timings.

Matching is case- and whitespace-insensitive: both sides are lower-cased (Unicode casefold) and
every run of whitespace, including non-breaking spaces, becomes one space. A passage or an answer
"contains" a question's answer when it contains one of the question's answer strings after that
normalisation. The definitions are spelled out in docs/evaluation.md.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from bot.answer_types import citation_markers, strip_markers  # noqa: F401  (part of this module's API)
from bot.answermatch import contains_answer, normalize  # noqa: F401  (part of this module's API)


def first_hit_rank(passages: Sequence[str], answers: Sequence[str]) -> int | None:
    """1-based rank of the first passage containing an answer, or None when none does."""
    for rank, text in enumerate(passages, 1):
        if contains_answer(text, answers):
            return rank
    return None


def hit_rate(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose first hit is within the top ``k`` (None when there are no questions)."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def is_current(published: str, as_of: str, days: int = 14) -> bool:
    """True when ``published`` (ISO date or datetime) falls in the ``days`` days up to and including
    ``as_of`` (``as_of - days + 1`` .. ``as_of``); an undated passage is never current."""
    from datetime import date, timedelta

    try:
        day, ref = date.fromisoformat(published[:10]), date.fromisoformat(as_of[:10])
    except ValueError:
        return False
    return ref - timedelta(days=days - 1) <= day <= ref


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    """Mean of 1/rank of the first hit, a miss counting 0 (None when there are no questions)."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks)


def first_sentence(answer: str) -> str:
    """The first sentence of ``answer`` with markers removed (the whole text if it has one sentence)."""
    from ingest.chunking import split_sentences

    text = strip_markers(answer).strip()
    spans = split_sentences(text)
    return text[spans[0][0]:spans[0][1]] if spans else text


def answer_hit(answer: str, answers: Sequence[str]) -> bool:
    """True when the answer text (markers removed) contains one of ``answers``."""
    return contains_answer(strip_markers(answer), answers)


def answer_hit_first_sentence(answer: str, answers: Sequence[str]) -> bool:
    """True when the first sentence of the answer contains one of ``answers``."""
    return contains_answer(first_sentence(answer), answers)


_ARTICLES = frozenset("a an the le la les l un une des du".split())


def squad_normalize(text: str) -> list[str]:
    """SQuAD's answer normalisation, as tokens: lower case, punctuation removed, articles removed
    (English "a", "an", "the" and their French counterparts "le", "la", "les", "l'", "un", "une",
    "des", "du"), split on whitespace."""
    import unicodedata

    text = unicodedata.normalize("NFC", text).casefold().replace("’", "'")
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return [t for t in text.split() if t not in _ARTICLES]


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD's token F1 between a predicted and a gold answer string (both normalised by
    :func:`squad_normalize`); 0.0 when either is empty after normalisation."""
    from collections import Counter

    p, g = squad_normalize(prediction), squad_normalize(gold)
    common = sum((Counter(p) & Counter(g)).values())
    if not p or not g or not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def short_answer_right(short: str, answers: Sequence[str], min_f1: float = 0.5) -> bool:
    """True when ``short`` has token F1 ≥ ``min_f1`` with one of the gold ``answers``."""
    return bool(short) and max((token_f1(short, a) for a in answers), default=0.0) >= min_f1


def marker_support(answer: str, cited: dict[int, str], answers: Sequence[str]) -> list[bool]:
    """For each ``[n]`` marker of ``answer``: does citation n's passage contain an answer?

    A marker whose number has no citation counts as unsupported.
    """
    return [n in cited and contains_answer(cited[n], answers) for n in citation_markers(answer)]


def ratio(num: int, den: int) -> float | None:
    """``num / den``, or None when ``den`` is 0 (the metric is undefined, not zero)."""
    return num / den if den else None


def refusal_scores(answerable: Sequence[bool], refused: Sequence[bool]) -> tuple[float | None, float | None]:
    """(precision, recall) of refusing, the positives being the unanswerable questions."""
    tp = sum(1 for a, r in zip(answerable, refused) if r and not a)
    return ratio(tp, sum(refused)), ratio(tp, sum(1 for a in answerable if not a))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100), numpy's (linear interpolation); None when there are no values."""
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))
