"""Answerers: a question and retrieved passages in, an :class:`Answer` with citations out.

``ExtractiveAnswerer`` works offline without any language model: it scores every sentence of the
top passages (question words it covers, weighted by rarity; whether it holds the kind of answer
asked for — a date for "when", a number for "how many"…; its passage's rank), quotes the best
ones, each followed by its ``[n]`` marker, and refuses when the evidence is weak.
"""
from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, replace
from typing import Callable, ClassVar, Iterator

from ingest.chunking import split_sentences
from ingest.lexical import QUESTION_WORDS, query_word_forms, tokenize, words

from .answer_types import Answer, Citation, Passage
from .events import AnswerEvent, StreamEvent
from .news_time import asks_latest, newest_day
from .questions import OTHER, WHEN, has_expected_answer, question_type

REFUSAL = {
    "en": "The articles do not say.",
    "fr": "Les articles ne le disent pas.",
}


# Sentences that must never be quoted as an answer: a question (an article that repeats the
# question, or asks one), or words addressed to whoever reads or answers (injected instructions).
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|previous|above|prompt)\b"
    r"|\b(ignorez|oubliez|ignore)\b.{0,40}\b(instructions?|consignes?|précédent\w*)\b"
    r"|\b(you must|you should|you are now|as an ai|assistant)\b.{0,60}\b(answer|respond|reply|say|write|output)\b"
    r"|\b(answer|respond|reply)\b.{0,20}\b(with|only|that)\b.{0,40}[\"'«“]"
    r"|\b(répond(s|ez)|dites|écri(s|vez))\b.{0,40}\b(uniquement|seulement|que)\b",
    re.IGNORECASE)


def quotable(sentence: str, question: str = "") -> bool:
    """False for a sentence that is a question, an instruction to the reader, or the question
    itself repeated (nothing it says is not in the question)."""
    s = sentence.strip()
    if not s or s.rstrip("»”\"' )").endswith("?") or _INSTRUCTION.search(s):
        return False
    if question:
        ws, qs = words(s), set(words(question))
        if ws and sum(w not in qs for w in ws) <= max(1, len(ws) // 6):
            return False
    return True


class Answerer(ABC):
    """The one contract of every answerer; ``NewsBot`` relies on nothing else.

    - :meth:`answer` (required): the answer to ``question`` from ``passages`` (best first), in
      ``lang``; ``avoid`` holds earlier answers of the conversation, not to be repeated.
    - :meth:`stream`: :class:`~bot.events.TokenEvent` and :class:`~bot.events.NoticeEvent`
      events then one :class:`~bot.events.AnswerEvent`; by default only the final answer. An answerer that writes
      its answer piece by piece sets ``streams_tokens`` and yields its tokens.
    - :meth:`rewrite`: a follow-up rewritten as a standalone question, or None (the default)
      to let the bot carry the earlier question's words over.
    - :meth:`order_passages`: the passages in the order this answerer trusts them (default: as given).
    - :meth:`describe`: its name and settings, recorded with every evaluation result.
    """

    answerer_name: ClassVar[str] = "answerer"
    streams_tokens: ClassVar[bool] = False

    @abstractmethod
    def answer(self, question: str, passages: list[Passage], lang: str = "en", avoid: tuple[str, ...] = ()) -> Answer:
        ...

    def stream(self, question: str, passages: list[Passage], lang: str = "en",
               avoid: tuple[str, ...] = ()) -> Iterator[StreamEvent]:
        yield AnswerEvent(self.answer(question, passages, lang, avoid))

    def rewrite(self, question: str, history) -> str | None:
        return None

    def order_passages(self, question: str, passages: list[Passage], lang: str = "en") -> list[Passage]:
        return passages

    def describe(self) -> dict:
        return {"answerer": self.answerer_name}


def refusal(question: str, lang: str, confidence: float = 0.0) -> Answer:
    return Answer(question=question, answer=REFUSAL.get(lang, REFUSAL["en"]), refused=True, citations=[],
                  confidence=confidence)


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

    ``idf_source()`` returns, once per question, ``idf(stem) -> float``: the rarity of a stemmed
    word in the store (0 when unknown); words the store has never seen count as the rarest, so a
    question about something absent from the articles gets low coverage.
    """

    def __init__(self, idf_source: Callable[[], Callable[[str], float]] | None = None, max_idf: float = 8.0,
                 weights: dict[str, float] | None = None, cross_weights: dict[str, float] | None = None,
                 translate: bool = True):
        self.idf_source = idf_source
        self.translate = translate
        self.max_idf = max_idf
        self.weights = dict(DEFAULT_WEIGHTS, **(weights or {}))
        self.cross_weights = dict(CROSS_LANGUAGE_WEIGHTS, **(cross_weights or {}))

    def _weights(self, question: str, translate: bool = False) -> dict[str, tuple[set[str], float]]:
        forms = query_word_forms(question, ["fr", "en"], translate=translate)
        idf = self.idf_source() if self.idf_source is not None else None
        out = {}
        for w, fs in forms.items():
            if idf is None:
                weight = 1.0
            else:
                weight = max((idf(f) for f in fs), default=0.0) or self.max_idf
            out[w] = (fs, weight)
        return out

    def _question_terms(self, question: str, translate: bool) -> tuple[dict, float, set[str]]:
        """The question's weighted word forms, their total weight, and every form as a set."""
        weights = self._weights(question, translate)
        total = sum(w for _, w in weights.values()) or 1.0
        q_set = {w for w in words(question) if w not in QUESTION_WORDS} | {f for fs, _ in weights.values() for f in fs}
        return weights, total, q_set

    def features(self, question: str, passages: list[Passage], lang: str = "") -> list[tuple[int, int, int, dict[str, float]]]:
        """``(passage_rank, start, end, features)`` of every sentence of ``passages``. ``lang``: the
        question's language, when known; a passage in another language is matched with the
        question's words and their translations (:mod:`ingest.bilingual`)."""
        terms = {False: self._question_terms(question, False)}
        kind = question_type(question)
        q_words = [w for w in words(question) if w not in QUESTION_WORDS]
        q_bigrams = _bigrams(q_words)
        best_sim = max((x for p in passages for _, _, x in p.sentences), default=None)
        out = []
        for rank, p in enumerate(passages):
            lang_p = p.metadata.get("lang", "")
            translate = self.translate and bool(lang) and bool(lang_p) and lang_p != lang
            if translate not in terms:
                terms[translate] = self._question_terms(question, translate)
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

    def subject_coverage(self, question: str, passages: list[Passage], lang: str = "") -> list[float]:
        """Per passage, the rarity-weighted share of the question's words (and, across languages,
        their translations) found anywhere in it or its article's title: how much the passage is
        about what the question is about, whichever sentence answers."""
        terms: dict[bool, tuple] = {}
        out = []
        for p in passages:
            lang_p = p.metadata.get("lang", "")
            translate = self.translate and bool(lang) and bool(lang_p) and lang_p != lang
            if translate not in terms:
                terms[translate] = self._question_terms(question, translate)
            weights, total, _ = terms[translate]
            text = f"{p.metadata.get('title', '')}\n{p.text}"
            toks = set(tokenize(text, lang_p)) | set(words(text))
            out.append(sum(w for fs, w in weights.values() if fs & toks) / total)
        return out

    def score(self, question: str, passages: list[Passage], lang: str = "") -> list[ScoredSentence]:
        """Sentences by decreasing score; ``lang`` is the question's language when known."""
        out = []
        for rank, a, b, f in self.features(question, passages, lang):
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

    def __init__(self, idf_source: Callable[[], Callable[[str], float]] | None = None,
                 config: AnswerConfig | None = None, scorer: SentenceScorer | None = None, **fields):
        self.scorer = scorer or SentenceScorer(idf_source)
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
        French originals (``python -m training.crossrefusal``, docs/answers.md)."""
        langs = {p.metadata.get("lang", "") for p in passages[:1]}
        cross = bool(lang) and bool(langs - {"", lang})
        return self.min_evidence - (self.cross_language_margin if cross else 0.0)

    def answer(self, question: str, passages: list[Passage], lang: str = "en", avoid: tuple[str, ...] = ()) -> Answer:
        """``avoid``: earlier answers of the conversation; a follow-up is not answered by repeating
        a sentence they already quoted."""
        top = passages[: self.top_passages]
        scored = self.scorer.score(question, top, lang) if top else []
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
