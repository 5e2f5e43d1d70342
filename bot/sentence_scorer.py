"""The sentence scorer: every sentence of the top passages scored against a question by a
weighted sum of hand-made features (question words it covers, weighted by rarity; whether it holds
the kind of answer asked for — a date for "when", a number for "how many"…; its passage's rank…).
The extractive answerer quotes its best sentences; the reader re-ranks its shortlist.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ingest.chunking import split_sentences
from ingest.lexical import QUESTION_WORDS, query_word_forms, tokenize, words

from .answer_types import Passage
from .news_time import asks_latest, newest_day
from .questions import OTHER, WHEN, has_expected_answer, question_type

# idf(stem): the rarity of a stemmed word in the BM25 index the passages were found in (0 when
# unknown); the search hands it to the answerer with the passages (``bot.retriever.Retrieval``).
Idf = Callable[[str], float]


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of a passage: ``start``/``end`` are offsets inside the passage text."""

    passage_rank: int
    start: int
    end: int
    coverage: float  # rarity-weighted share of the question's words found in the sentence
    typed: bool  # holds the kind of answer the question asks for
    score: float
    newest: bool = False  # names the latest day among the candidates, for "when did … last …"


# Sentence features and their weights, set by hand and checked on PIAF dev questions (the answer
# string in the chosen sentence or not) with coordinate search on one half of the questions,
# validated on the other half; see docs/answers.md. Every feature is defined for any question and
# article, in French or English.
FEATURES = ("coverage", "lead", "trail", "bigrams", "typed", "novelty", "rank", "sim_gap", "length", "newest")
DEFAULT_WEIGHTS = {"coverage": 3.0, "lead": 1.0, "trail": 0.5, "bigrams": 1.0, "typed": 0.5, "novelty": 1.0,
                   "rank": -0.75, "sim_gap": 5.0, "length": 0.0, "newest": 1.0}
# A question in another language than the passage shares few words with it (names, numbers):
# its sentences are judged mostly by meaning (embedding similarity) and answer type.
CROSS_LANGUAGE_WEIGHTS = dict(DEFAULT_WEIGHTS, coverage=1.5, bigrams=0.0, sim_gap=15.0)


def _bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:]))


class SentenceScorer:
    """Scores the sentences of passages against a question by a weighted sum of features:

    - ``coverage``: rarity-weighted share of the question's words in the sentence (stems, accents folded);
    - ``lead``/``trail``: what the sentence before/after adds (an answer often sits next to the
      sentence that repeats the question: "Ten days earlier, they had…");
    - ``bigrams``: share of the question's word pairs found as pairs in the sentence;
    - ``typed``: the sentence holds the kind of answer asked for (a date for "when"…);
    - ``novelty``: share of the sentence's words not in the question (a pure echo answers nothing);
    - ``rank``: log of its passage's rank; ``sim_gap``: embedding similarity to the question minus
      the best sentence's (any language; 0 when the search computed none); ``length``: log words;
    - ``newest``: for a question asking when something last happened, 1 for the dated sentence(s)
      naming the latest day among the candidates.

    A passage in another language than the question (``lang``) is matched with the question's
    words and their translations (:mod:`ingest.bilingual`).

    Each question comes with ``idf`` (:data:`Idf`), the rarity of a stemmed word in the index
    searched: words the index has never seen count as the rarest (``max_idf``), so a question about
    something absent from the articles gets low coverage; without it every word weighs 1.
    """

    def __init__(self, max_idf: float = 8.0, weights: dict[str, float] | None = None,
                 cross_weights: dict[str, float] | None = None, translate: bool = True):
        self.translate = translate
        self.max_idf = max_idf
        self.weights = dict(DEFAULT_WEIGHTS, **(weights or {}))
        self.cross_weights = dict(CROSS_LANGUAGE_WEIGHTS, **(cross_weights or {}))

    def _weights(self, question: str, translate: bool = False,
                 idf: Idf | None = None) -> dict[str, tuple[set[str], float]]:
        forms = query_word_forms(question, ["fr", "en"], translate=translate)
        out = {}
        for w, fs in forms.items():
            if idf is None:
                weight = 1.0
            else:
                weight = max((idf(f) for f in fs), default=0.0) or self.max_idf
            out[w] = (fs, weight)
        return out

    def _question_terms(self, question: str, translate: bool, idf: Idf | None) -> tuple[dict, float, set[str]]:
        """The question's weighted word forms, their total weight, and every form as a set."""
        weights = self._weights(question, translate, idf)
        total = sum(w for _, w in weights.values()) or 1.0
        q_set = {w for w in words(question) if w not in QUESTION_WORDS} | {f for fs, _ in weights.values() for f in fs}
        return weights, total, q_set

    def features(self, question: str, passages: list[Passage], lang: str = "",
                 idf: Idf | None = None) -> list[tuple[int, int, int, dict[str, float]]]:
        """``(passage_rank, start, end, features)`` of every sentence of ``passages``. ``lang``: the
        question's language, when known; a passage in another language is matched with the
        question's words and their translations (:mod:`ingest.bilingual`)."""
        terms = {False: self._question_terms(question, False, idf)}
        kind = question_type(question)
        q_words = [w for w in words(question) if w not in QUESTION_WORDS]
        q_bigrams = _bigrams(q_words)
        best_sim = max((x for p in passages for _, _, x in p.sentences), default=None)
        out = []
        for rank, p in enumerate(passages):
            lang_p = p.metadata.get("lang", "")
            translate = self.translate and bool(lang) and bool(lang_p) and lang_p != lang
            if translate not in terms:
                terms[translate] = self._question_terms(question, translate, idf)
            weights, total, q_set = terms[translate]
            sims = {(a, b): x for a, b, x in p.sentences}
            spans = split_sentences(p.text)
            rows = []
            for a, b in spans:
                sent = p.text[a:b]
                plain = words(sent)
                stems = tokenize(sent, lang_p)
                toks = set(stems) | set(plain)
                cov = sum(w for fs, w in weights.values() if fs & toks) / total
                novel = sum(1 for w, st in zip(plain, stems) if w not in q_set and st not in q_set) / max(1, len(plain))
                bigr = len(q_bigrams & _bigrams(plain)) / len(q_bigrams) if q_bigrams else 0.0
                rows.append((a, b, cov, novel, bigr, len(plain)))
            for i, (a, b, cov, novel, bigr, n) in enumerate(rows):
                lead = max(0.0, rows[i - 1][2] - cov) if i else 0.0
                trail = max(0.0, rows[i + 1][2] - cov) if i + 1 < len(rows) else 0.0
                sim = sims.get((a, b))
                f = {
                    "coverage": cov, "lead": lead, "trail": trail, "bigrams": bigr,
                    "typed": 1.0 if kind != OTHER and has_expected_answer(kind, p.text[a:b], question) else 0.0,
                    "novelty": novel, "rank": math.log1p(rank),
                    "sim_gap": (sim - best_sim) if (sim is not None and best_sim is not None) else 0.0,
                    "length": math.log(max(n, 1)), "newest": 0.0,
                }
                out.append((rank, a, b, f))
        if kind == WHEN and asks_latest(question):
            _mark_newest(out, passages)
        return out

    def subject_coverage(self, question: str, passages: list[Passage], lang: str = "",
                         idf: Idf | None = None) -> list[float]:
        """Per passage, the rarity-weighted share of the question's words (and, across languages,
        their translations) found anywhere in it or its article's title: how much the passage is
        about what the question is about, whichever sentence answers."""
        terms: dict[bool, tuple] = {}
        out = []
        for p in passages:
            lang_p = p.metadata.get("lang", "")
            translate = self.translate and bool(lang) and bool(lang_p) and lang_p != lang
            if translate not in terms:
                terms[translate] = self._question_terms(question, translate, idf)
            weights, total, _ = terms[translate]
            text = f"{p.metadata.get('title', '')}\n{p.text}"
            toks = set(tokenize(text, lang_p)) | set(words(text))
            out.append(sum(w for fs, w in weights.values() if fs & toks) / total)
        return out

    def score(self, question: str, passages: list[Passage], lang: str = "",
              idf: Idf | None = None) -> list[ScoredSentence]:
        """Sentences by decreasing score; ``lang`` is the question's language when known."""
        out = []
        for rank, a, b, f in self.features(question, passages, lang, idf):
            plang = passages[rank].metadata.get("lang", "")
            w = self.cross_weights if lang and plang and plang != lang else self.weights
            score = sum(w[k] * f[k] for k in FEATURES)
            out.append(ScoredSentence(rank, a, b, f["coverage"], bool(f["typed"]), score, f["newest"] > 0))
        out.sort(key=lambda s: s.score, reverse=True)
        return out


def _mark_newest(rows: list[tuple[int, int, int, dict[str, float]]], passages: list[Passage]) -> None:
    """For "when did … last …": ``newest`` = 1 for the dated sentences naming the latest day among
    all candidates (dates resolved against each article's publication date), 0 for the others."""
    days = {}
    for rank, a, b, f in rows:
        if f["typed"]:
            meta = passages[rank].metadata
            days[(rank, a)] = newest_day(passages[rank].text[a:b], meta.get("published", ""), meta.get("lang", ""))
    latest = max((d for d in days.values() if d is not None), default=None)
    for rank, a, _b, f in rows:
        f["newest"] = 1.0 if latest is not None and days.get((rank, a)) == latest else 0.0


def shortlist_sentences(scorer: SentenceScorer, question: str, passages, n: int,
                        lang: str = "", idf: Idf | None = None) -> list[ScoredSentence]:
    """The ``n`` best sentences by ``scorer``, one per distinct text (overlapping chunks and
    copies of a story repeat sentences)."""
    return first_distinct(scorer.score(question, passages, lang, idf), passages, n)


def first_distinct(scored: list[ScoredSentence], passages, n: int) -> list[ScoredSentence]:
    """The first ``n`` of ``scored`` (best first), one per distinct text."""
    out, seen = [], set()
    for s in scored:
        key = tuple(words(passages[s.passage_rank].text[s.start:s.end]))
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(s)
        if len(out) >= n:
            break
    return out
