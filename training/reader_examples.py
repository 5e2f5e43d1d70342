"""Training examples for the answer reader: a question and its candidate sentences, labelled.

A candidate is labelled positive when it contains one of the question's answer strings
(normalised as the evaluation does, :func:`bot.answermatch.contains_answer`), and carries the
answer's character span inside the sentence for the span head.

- PIAF (French questions, and English versions of some of them): the candidates are exactly what
  the bot would read, the shortlist of sentences of the top passages that the hand-weighted
  scorer ranks first, from the real search over a PIAF store. Only questions and candidate
  sentences of the articles ``keep_article`` accepts are used, so that the other articles'
  questions stay unseen.
- RealTimeQA 2022-2023 (English news): no store is built; the candidates are the sentences of
  the question's own search results, shortlisted by the same scorer, plus every sentence holding
  the correct choice or one of the wrong choices (hard negatives).
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Callable, Iterable

from bot.answer_types import Passage
from bot.answermatch import normalize
from bot.reader_encoding import context_parts
from bot.sentence_scorer import SentenceScorer, first_distinct, shortlist_sentences


def answer_span(sentence: str, answers: Iterable[str]) -> tuple[int, int] | None:
    """Character span in ``sentence`` of the first answer it contains (case-insensitive)."""
    low = sentence.casefold()
    for a in answers:
        a = a.strip()
        if not a:
            continue
        i = low.find(a.casefold())
        if i >= 0:
            return i, i + len(a)
    return None


def _labelled(sentences: list[str], answers: list[str], contexts: list[tuple[str, str]],
              scores: list[float]) -> list[dict]:
    """Each sentence with its label, answer span, context (title, previous sentence: what
    :func:`bot.reader_encoding.compose_context` makes the reader's context of) and the scorer's score."""
    out = []
    needles = [normalize(a) for a in answers if a.strip()]
    for s, (title, prev), score in zip(sentences, contexts, scores):
        pos = any(n in normalize(s) for n in needles)
        span = answer_span(s, answers) if pos else None
        out.append({"text": s, "label": int(pos), "span": list(span) if span else None,
                    "title": title, "prev": prev, "score": round(float(score), 4)})
    return out


def piaf_examples(bot, questions: list[dict], keep_article: Callable[[str], bool], shortlist: int,
                  k: int = 5) -> list[dict]:
    """Candidates from the real search of ``bot`` (a ``NewsBot``) for each question."""
    out = []
    for q in questions:
        if not keep_article(q["article_id"]):
            continue
        retrieval = bot.search.retrieve(q["question"], k=k)
        passages = [p for p in retrieval.passages if keep_article(p.article_id)]
        picked = shortlist_sentences(bot.answerer.scorer, q["question"], passages, shortlist,
                                     lang=q.get("lang", "fr"), idf=retrieval.idf)
        sentences = [passages[s.passage_rank].text[s.start:s.end] for s in picked]
        contexts = [context_parts(passages[s.passage_rank], s.start) for s in picked]
        cands = _labelled(sentences, q["answers"], contexts, [s.score for s in picked])
        if any(c["label"] for c in cands):
            out.append({"id": q["id"], "question": q["question"], "source": "piaf-" + q.get("lang", "fr"),
                        "answers": q["answers"], "cands": cands})
    return out


def rtqa_examples(questions_path: Path, articles_path: Path, shortlist: int, seed: int = 0) -> list[dict]:
    from ingest.chunking import split_sentences

    articles = {}
    with open(articles_path, encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            articles[a["id"]] = a
    rng = random.Random(seed)
    scorer = SentenceScorer()
    out = []
    with open(questions_path, encoding="utf-8") as f:
        questions = [json.loads(line) for line in f]
    for q in questions:
        passages = [Passage(chunk_id=aid, text=articles[aid]["text"][:6000],
                            metadata={"lang": "en", "title": articles[aid].get("title", "")})
                    for aid in q.get("article_ids", []) if aid in articles]
        if not passages:
            continue
        ranked = scorer.score(q["question"], passages, "en")
        scored = {(s.passage_rank, s.start): s.score for s in ranked}
        picked = first_distinct(ranked, passages, shortlist)
        sentences = [passages[s.passage_rank].text[s.start:s.end] for s in picked]
        contexts = [context_parts(passages[s.passage_rank], s.start) for s in picked]
        scores = [s.score for s in picked]
        floor = min(scores, default=0.0)
        wrong = [c for c in q.get("choices", []) if c not in q["answers"]]
        extra_pos, extra_neg = [], []
        for i, p in enumerate(passages):
            for a, b in split_sentences(p.text):
                s = p.text[a:b]
                if not 20 <= len(s) <= 600 or s in sentences:
                    continue
                if answer_span(s, q["answers"]):
                    extra_pos.append((s, i, a))
                elif any(answer_span(s, [w]) for w in wrong):
                    extra_neg.append((s, i, a))
        for s, i, a in rng.sample(extra_pos, min(2, len(extra_pos))) + rng.sample(extra_neg, min(2, len(extra_neg))):
            # Outside the shortlist: the scorer's score, at most the shortlist's lowest.
            sentences.append(s)
            contexts.append(context_parts(passages[i], a))
            scores.append(min(scored.get((i, a), floor), floor))
        cands = _labelled(sentences, q["answers"], contexts, scores)
        if any(c["label"] for c in cands):
            out.append({"id": q["id"], "question": q["question"], "source": "rtqa", "answers": q["answers"],
                        "cands": cands})
    return out
