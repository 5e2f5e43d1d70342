"""What the reader reads and how its output is decoded, shared by training and answering: the
(question, sentence) pair as token ids (:func:`encode_pair`), the context before a sentence, the
scorer's prior, the best answer span and the short answer it gives.

Training (``training.reader_pairs``, ``training.shortfit``) and :mod:`bot.reader` both build their
inputs here, so the model reads at run time exactly what it was trained on.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ingest.lexical import words

MAX_QUESTION_TOKENS = 48
MAX_SENTENCE_TOKENS = 96
# What a passage-level reader reads of a passage (question and passage within e5's 512 positions).
PASSAGE_TOKENS = 400
MAX_SPAN_WORDS = 12
MAX_CONTEXT_TOKENS = {"": 0, "title": 16, "title+prev": 48}
CONTEXT_MODES = tuple(MAX_CONTEXT_TOKENS)
_WORD = re.compile(r"\S+")
_TAG = re.compile(r"<[^>]*>?")


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
    (``training.reader_pairs``) and reading both compose it here."""
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
    its distance to the best score among the sentences read. Training (``training.reader_pairs``)
    and reading both make it here."""
    x = np.asarray(scores, dtype=np.float32).reshape(-1)
    if not len(x):
        return np.zeros((0, 2), np.float32)
    return np.stack([x, x - x.max()], axis=1)


def encode_question(tok, question: str) -> list[int]:
    return [tok.bos] + tok.encode("query: " + question)[: MAX_QUESTION_TOKENS - 2] + [tok.eos]


def encode_sentence(tok, sentence: str, context: str = "", max_context: int = 0,
                    max_tokens: int = MAX_SENTENCE_TOKENS) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """``(ids, word_of_token, word_spans)``: token ids of ``passage: [<context> |] <sentence>``,
    for each token the index of the sentence word it belongs to (-1 for the prefix, the context
    and special tokens), and each word's character span in ``sentence``. The context keeps its
    first ``max_context`` tokens; the text is cut after whole words at ``max_tokens`` in all (a
    passage-level reader reads a whole passage: ``PASSAGE_TOKENS``). Words are independent in the unigram model, so tokenising word
    by word gives the same ids as tokenising the whole sentence."""
    ids = [tok.bos] + tok.encode("passage:")
    if context and max_context:
        ids += tok.encode(context)[:max_context] + tok.encode("|")
    owner = [-1] * len(ids)
    spans: list[tuple[int, int]] = []
    for m in _WORD.finditer(sentence):
        piece = tok.encode(m.group())
        if len(ids) + len(piece) > max_tokens - 1:
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


def encode_pair(tok, question: str, sentence: str, context: str = "", mode: str = "",
                max_tokens: int = MAX_SENTENCE_TOKENS) -> Pair:
    q = encode_question(tok, question)
    ids, owner, spans = encode_sentence(tok, sentence, context, MAX_CONTEXT_TOKENS[mode], max_tokens)
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


def short_of(sentence: str, span: tuple[int, int] | None) -> str:
    """The short answer a span of ``sentence`` gives: its text without the punctuation around it,
    or "" when there is no span or it is most of the sentence (at least 80 % of its words: then
    the sentence is the answer). Training (``training.shortfit``) and answering both cut it here."""
    if not span:
        return ""
    short = sentence[span[0]:span[1]].strip(" ,;:.")
    return "" if len(words(short)) >= len(words(sentence)) * 0.8 else short
