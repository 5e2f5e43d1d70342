"""How well each of the reader's scores ranks its short answers: would any threshold show a
short answer for half the questions and be right for 75 % of those?

    python -m training.short_ranking --store STORE --qa QA.jsonl [--as-of] [--reader-dir DIR] [--out FILE.json]

Each answerable question is searched (k = 5) and answered by the default answerer with refusal off
and every short answer kept. Per question: the leading sentence's relevance logit, its margin over
the next sentence, its span score, the answerer's confidence, and whether the leading sentence
and the short answer are right (as ``training.eval_ablation`` counts them). Then, for each score
and for span score + w × relevance, the share of the short answers that are right among the
questions ranked highest by it, at 20–60 % of the questions shown. The ranking is measured on the
questions themselves, so it is the most any threshold on that score could give there: an upper
bound, not a fitted rule.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

from bot.newsbot import NewsBot
from bot.questions import question_language
from bot.reader import MODEL_DIR, Reader
from bot.reading_answerer import ReadingAnswerer
from evaluation import metrics as m
from ingest.embedders import make_embedder
from ingest.store import Store

from . import emit
from .eval_ablation import searched

SHOWN = (0.2, 0.3, 0.4, 0.5, 0.6)
BLENDS = (0.25, 0.5, 1.0, 2.0)


def lead_record(answerer: ReadingAnswerer, q: dict, retrieval) -> dict:
    """The leading sentence's scores for question ``q`` and whether its answer is right."""
    question = q["question"]
    lang = question_language(question) or "en"
    ans = answerer.answer(question, retrieval.passages, lang=lang, idf=retrieval.idf)
    top = retrieval.passages[: answerer.top_passages]
    rows = answerer.ranked(question, top, lang, retrieval.idf) if top else []
    record = {"first": m.answer_hit_first_sentence(ans.answer, q["answers"]),
              "short": bool(ans.short_answer), "short_right": m.short_answer_right(ans.short_answer, q["answers"])}
    if not rows:
        return dict(record, relevance=-math.inf, margin=-math.inf, span=-math.inf, confidence=-math.inf)
    confidence = answerer.confidence_of(top, rows, lang)
    rows = answerer.unsure_lead(question, top, rows, lang, retrieval.idf)   # the sentence the answer leads with
    _s, lead, key = rows[0]
    return dict(record, relevance=lead.score, margin=key - (rows[1][2] if len(rows) > 1 else key - 10.0),
                span=lead.span_score, confidence=confidence)


def precision_at(records: list[dict], key: Callable[[dict], float], shown: tuple[float, ...] = SHOWN) -> dict:
    """For each share of all the questions, the share of right short answers among the questions
    ``key`` ranks highest (only questions with a short answer can be shown)."""
    ranked = sorted((r for r in records if r["short"]), key=lambda r: -key(r))
    out = {}
    for frac in shown:
        n = min(len(ranked), int(frac * len(records)))
        out[f"{frac:.1f}"] = round(sum(r["short_right"] for r in ranked[:n]) / n, 3) if n else None
    return out


def rankings(records: list[dict]) -> dict:
    keys: dict[str, Callable[[dict], float]] = {name: (lambda r, name=name: r[name])
                                               for name in ("span", "relevance", "margin", "confidence")}
    for w in BLENDS:
        keys[f"span + {w} relevance"] = lambda r, w=w: r["span"] + w * r["relevance"]
    return {name: precision_at(records, key) for name, key in keys.items()}


def _share(records: list[dict]) -> float | None:
    return round(sum(r["short_right"] for r in records) / len(records), 4) if records else None


def run(store_dir: Path, qa: list[dict], reader_dir: Path | None = None, as_of: bool = False) -> dict:
    store = Store(store_dir, make_embedder(""))
    answerer = ReadingAnswerer(reader=Reader(reader_dir or MODEL_DIR), mode="both",
                               min_confidence=-math.inf, min_span_score=-math.inf)
    bot = NewsBot(store, answerer=answerer)
    records = [lead_record(answerer, q, retrieval)
               for q, retrieval in searched(bot, [q for q in qa if q.get("answers")], as_of)]
    n = max(1, len(records))
    lead_right = [r for r in records if r["first"]]
    lead_wrong = [r for r in records if not r["first"]]
    return {"questions": len(records),
            "short_right_when_the_lead_is_right": _share(lead_right),
            "short_right_when_the_lead_is_wrong": _share(lead_wrong),
            "first_sentence": round(sum(r["first"] for r in records) / n, 4),
            "short_shown": round(sum(r["short"] for r in records) / n, 4),
            "short_right_of_all": round(sum(r["short_right"] for r in records) / n, 4),
            "right_when_shown_among_the_top": rankings(records)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--qa", required=True)
    ap.add_argument("--reader-dir", type=Path, help="a reader model folder (default: the bundled one)")
    ap.add_argument("--as-of", action="store_true", help="search each question as of its as_of date")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    qa = [json.loads(x) for x in open(args.qa, encoding="utf-8") if x.strip()]
    qa = qa[: args.limit] if args.limit else qa
    t0 = time.time()
    result = {"qa": Path(args.qa).name, "store": str(args.store),
              **run(Path(args.store), qa, args.reader_dir, args.as_of), "seconds": round(time.time() - t0, 1)}
    emit(result, args.out)
    return result


if __name__ == "__main__":
    main()
