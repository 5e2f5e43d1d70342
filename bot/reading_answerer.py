"""The reading answerer, the default answerer: the reader re-ranks the scorer's shortlist.

The hand-weighted :class:`~bot.sentence_scorer.SentenceScorer` picks the ``shortlist`` best
sentences of the top passages (a cheap, high-recall first pass); the :class:`~bot.reader.Reader`
orders them; :class:`ReadingAnswerer` decides what to quote, whether to refuse, and can propose a
short answer.
"""
from __future__ import annotations

import math

from ingest.lexical import words

from .answer_types import Passage
from .answerer import refusal
from .extractive import ExtractiveAnswerer, compose_answer, same_text
from .quotable import quotable
from .reader import Reader
from .reader_encoding import sentence_context, short_of
from .sentence_scorer import Idf, first_distinct


def adds_words(text: str, quoted: list[str], question: str = "", min_new: int = 3) -> bool:
    """Whether ``text`` says something the ``quoted`` sentences and the question do not: at least
    ``min_new`` words of three letters or more, and a third of its own, that none of them has."""
    seen = set(words(question)).union(*(words(q) for q in quoted))
    own = {w for w in words(text) if len(w) > 2}
    new = own - seen
    return len(new) >= min_new and len(new) >= len(own) / 3


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


class ReadingAnswerer(ExtractiveAnswerer):
    """Quotes what the reader ranks first; refuses when the reader and the retrieval agree that
    nothing answers.

    ``mode``: ``"both"`` (default) gives the reader each sentence's rank in the scorer's shortlist,
    the prior it was trained with; ``"reader"`` gives it none (the ablation of docs/answers.md).
    Refusal: ``confidence = best logit + evidence_weight * (retrieval evidence - the scorer's
    evidence threshold)`` (that threshold is lower across languages, see
    :meth:`~bot.extractive.ExtractiveAnswerer.threshold`) below
    ``min_confidence`` (both fitted by ``python -m training.calibrate`` on PIAF articles never
    trained on, stored in ``reader.json``). The sentences quoted: see :meth:`follow`. The short
    answer (``Answer.short_answer``; the quoted text is left as it is, front ends show the short
    answer first) is the leading sentence's span when its span score reaches ``min_span_score``
    and it is shorter than the sentence (:func:`short_of`); the threshold is fitted by
    ``python -m training.shortfit`` for a precision of 0.8 on training questions and stored in
    ``reader.json`` (``short_answer``); without it, no short answer.
    """

    answerer_name = "reader"

    def __init__(self, reader: Reader | None = None, shortlist: int = 6, mode: str = "both",
                 min_confidence: float | None = None, evidence_weight: float | None = None,
                 follow_margin: float = 1.0, follow_prob: float = 0.5, min_span_score: float | None = None,
                 newest_bonus: float = 2.0, scorer_weight: float = 0.0, subject_ratio: float = 0.3,
                 unsure_margin: float = 2.0, follow_new_words: int = 3, **kw):
        super().__init__(**kw)
        self.reader = reader or Reader()
        self.shortlist = shortlist
        self.mode = mode
        fitted = self.reader.info.get("refusal", {})
        self.min_confidence = min_confidence if min_confidence is not None else fitted.get("min_confidence", -3.0)
        self.evidence_weight = evidence_weight if evidence_weight is not None else fitted.get("evidence_weight", 0.0)
        self.follow_margin = follow_margin
        self.follow_prob = follow_prob
        short = self.reader.info.get("short_answer", {})
        self.min_span_score = min_span_score if min_span_score is not None else short.get("min_span_score", math.inf)
        self.newest_bonus = newest_bonus
        self.scorer_weight = scorer_weight
        self.subject_ratio = subject_ratio
        self.unsure_margin = unsure_margin
        self.follow_new_words = follow_new_words

    def ranked(self, question: str, top: list, lang: str, idf: Idf | None = None):
        """``[(ScoredSentence, Reading, key)]`` best first, over quotable shortlisted sentences.

        ``key`` is the reader's logit, plus ``scorer_weight`` times the scorer's score, plus
        ``newest_bonus`` for the sentence naming the latest day when the question asks when
        something last happened (the reader sees no dates; the scorer resolves them against each
        article's publication date). Only sentences of passages about the question's subject
        (:meth:`about`) are read."""
        about = self.about(question, top, lang, idf)
        scored = [s for s in self.scorer.score(question, top, lang, idf) if s.passage_rank in about]
        cands = first_distinct(scored, top, self.shortlist)
        texts = [top[s.passage_rank].text[s.start:s.end] for s in cands]
        keep = [i for i, t in enumerate(texts) if quotable(t, question)]
        cands, texts = [cands[i] for i in keep], [texts[i] for i in keep]
        contexts = [sentence_context(top[s.passage_rank], s.start, self.reader.context) for s in cands]
        readings = self.reader.read(question, texts, keep if self.mode == "both" else None, contexts,
                                    [s.score for s in cands] if self.mode == "both" else None)
        rows = [(s, r, r.score + self.scorer_weight * s.score + (self.newest_bonus if s.newest else 0.0))
                for s, r in zip(cands, readings)]
        rows.sort(key=lambda x: x[2], reverse=True)
        return rows

    def confidence_of(self, top: list, rows, lang: str = "") -> float:
        if not rows:
            return -math.inf
        best_cov = max(rows, key=lambda x: x[0].score)[0]
        margin = self.evidence(top, best_cov) - self.threshold(top, lang)
        return rows[0][1].score + self.evidence_weight * margin

    def about(self, question: str, top: list, lang: str = "", idf: Idf | None = None) -> set[int]:
        """The passages about the question's subject: those holding at least ``subject_ratio`` of
        the best passage's share of the question's words
        (:meth:`~bot.sentence_scorer.SentenceScorer.subject_coverage`; all of them when it is 0). The
        reader reads one sentence at a time and may prefer one of an unrelated article ("It
        replaces Ariane 5…" for a question on Trump, Putin and Iran): such a sentence is not read
        while a passage on the subject is there."""
        if not top or not self.subject_ratio:
            return set(range(len(top)))
        cov = self.scorer.subject_coverage(question, top, lang, idf)
        floor = self.subject_ratio * max(cov)
        return {i for i, c in enumerate(cov) if c >= floor}

    def unsure_lead(self, question: str, top: list, rows, lang: str = "", idf: Idf | None = None) -> list:
        """When the reader finds no sentence likely (its best logit below 0), lead with the sentence
        that, read with its article's title, holds most of the question's words, among those of
        ``rows`` within ``unsure_margin`` of the best: "What did Trump and Putin say
        about Iran?" then opens with the sentence naming Iran in the article titled "Trump et
        Poutine…", not the one naming the two presidents."""
        if not self.unsure_margin or rows[0][2] >= 0:
            return rows
        near = [i for i, row in enumerate(rows) if row[2] >= rows[0][2] - self.unsure_margin]
        read = [Passage(chunk_id="", text=top[rows[i][0].passage_rank].text[rows[i][0].start:rows[i][0].end],
                        metadata=top[rows[i][0].passage_rank].metadata) for i in near]
        cov = self.scorer.subject_coverage(question, read, lang, idf)
        best = max(range(len(near)), key=lambda j: (round(cov[j], 6), -near[j]))
        first = near[best] if near else 0
        return [rows[first]] + rows[:first] + rows[first + 1:]

    def follow(self, top: list, rows, question: str = "") -> list:
        """The sentences quoted: the reader's best; then those the reader finds about as likely
        (logit within ``follow_margin``, probability at least ``follow_prob``); then those the
        scorer would have quoted beside its own best (within ``follow_ratio`` of its score), up to
        ``max_sentences``. The later sentences complete the answer; the first one is the reader's.
        A further sentence is quoted only when it adds something (:func:`adds_words`, at least
        ``follow_new_words`` new words; 0: always)."""
        chosen = [rows[0][0]]

        def add(s) -> None:
            text = top[s.passage_rank].text[s.start:s.end]
            quoted = [top[c.passage_rank].text[c.start:c.end] for c in chosen]
            if (len(chosen) < self.max_sentences
                    and not any(same_text(q, text) for q in quoted) and (not self.follow_new_words or adds_words(text, quoted, question, self.follow_new_words))):
                chosen.append(s)

        best_key = rows[0][2]
        for s, r, key in rows[1:]:
            if key < best_key - self.follow_margin or _sigmoid(r.score) < self.follow_prob:
                break
            add(s)
        by_scorer = sorted((row[0] for row in rows), key=lambda s: s.score, reverse=True)
        top_score = by_scorer[0].score
        floor = top_score * self.follow_ratio if top_score > 0 else top_score - 1.0
        for s in by_scorer:
            if s.score < floor:
                break
            add(s)
        return chosen

    def answer(self, question: str, passages: list, lang: str = "en", avoid: tuple[str, ...] = (),
               idf: Idf | None = None):
        top = passages[: self.top_passages]
        rows = self.ranked(question, top, lang, idf) if top else []
        confidence = self.confidence_of(top, rows, lang)
        if avoid and rows:
            # A follow-up without an LLM is searched as the earlier question's keywords ("Et avant ?
            # When Trump Putin last speak"), a text the reader was not calibrated on: whether the
            # articles answer is then the retrieval evidence's call alone, as for the scorer.
            best_cov = max(rows, key=lambda x: x[0].score)[0]
            confidence = self.evidence(top, best_cov) - self.threshold(top, lang) + self.min_confidence
        if not rows or confidence < self.min_confidence:
            return refusal(question, lang, confidence if rows else 0.0)
        if avoid:
            fresh = [row for row in rows
                     if not any(top[row[0].passage_rank].text[row[0].start:row[0].end] in a for a in avoid)]
            rows = fresh or rows
        rows = self.unsure_lead(question, top, rows, lang, idf)
        best_s, best_r, best_key = rows[0]
        chosen = self.follow(top, rows, question)
        answer = compose_answer(question, top, chosen, confidence)
        answer.answerer = self.answerer_name
        first = top[best_s.passage_rank].text[best_s.start:best_s.end]
        if best_r.span_score >= self.min_span_score:
            answer.short_answer = short_of(first, best_r.span)
        return answer

    def order_passages(self, question: str, passages: list, lang: str = "en", idf: Idf | None = None) -> list:
        """``passages`` with those holding the reader's best sentences first (for the LLM)."""
        top = passages[: self.top_passages]
        order = []
        for s, _r, _k in self.ranked(question, top, lang, idf) if top else []:
            if s.passage_rank not in order:
                order.append(s.passage_rank)
        order += [i for i in range(len(passages)) if i not in order]
        return [passages[i] for i in order]
