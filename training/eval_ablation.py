"""Scorer, reader and both on the same questions and the same retrieved passages, in one run.

    python -m training.eval_ablation --store STORE --qa QA.jsonl [--out FILE.json] [--no-refusal] [--as-of]
        [--answerers scorer,reader] [--cross-weights '{"sim_gap": 20, "coverage": 3.0}' ...]
        [--shortlists 4,6,10] [--reader-settings '{"shortlist": 6, "scorer_weight": 4}' ...]

Each question is searched once (k = 5; with ``--as-of``, as of the question's ``as_of`` date,
as ``newsbot eval`` asks it); every answerer then answers from those passages. Per
answerer: first-sentence rate (the first quoted sentence holds an answer string), answer_hit
(anywhere in the answer), the share of answerable questions refused, the share with a short
answer and the share of those that are right (token F1 >= 0.5 with a gold answer), and answer latency p50/p95 (the answering step alone;
search is shared). ``--no-refusal`` measures the sentence choice alone (nothing refused).
Each ``--cross-weights`` adds a scorer with those weights for passages in another language than
the question (named ``scorer`` plus the weights), to compare settings on the same passages.
Each ``--reader-settings`` adds the default answerer with those
:class:`~bot.reading_answerer.ReadingAnswerer` settings (named ``both`` plus the settings);
``--shortlists 4,6`` is short for ``'{"shortlist": 4}'`` and ``'{"shortlist": 6}'`` (named
``both@4``, ``both@6``): what the reader's share of the answer time buys.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numpy as np

from bot.extractive import ExtractiveAnswerer
from bot.news_time import parse_as_of, question_time
from bot.newsbot import NewsBot
from bot.questions import question_language
from bot.reader import MODEL_DIR, Reader
from bot.reading_answerer import ReadingAnswerer
from bot.sentence_scorer import SentenceScorer
from evaluation import metrics as m
from ingest.embedders import make_embedder
from ingest.store import Store

from . import emit

ANSWERERS = ("scorer", "scorer-untranslated", "reader", "both")
READER_SETTINGS = ("shortlist", "scorer_weight", "newest_bonus", "follow_margin", "follow_prob", "min_confidence",
                   "evidence_weight", "subject_ratio", "unsure_margin", "follow_new_words", "min_span_score")


def answerers(no_refusal: bool, names: tuple[str, ...] = ANSWERERS,
              cross_weights: tuple[dict, ...] = (), reader_dir: Path | None = None,
              reader_settings: tuple[dict, ...] = ()) -> dict:
    """The answerers compared: the scorer (with the English-French lexicon), the scorer without
    it, the reader alone and the reader with the scorer's rank."""
    low = {"min_evidence": -math.inf} if no_refusal else {}
    rlow = {"min_confidence": -math.inf} if no_refusal else {}
    reader = (Reader(reader_dir or MODEL_DIR)
              if {"reader", "both"} & set(names) or reader_settings else None)
    make = {
        "scorer": lambda: ExtractiveAnswerer(**low),
        "scorer-untranslated": lambda: ExtractiveAnswerer(scorer=SentenceScorer(translate=False), **low),
        "reader": lambda: ReadingAnswerer(reader=reader, mode="reader", **rlow),
        "both": lambda: ReadingAnswerer(reader=reader, mode="both", **rlow),
    }
    out = {name: make[name]() for name in names}
    for w in cross_weights:
        out["scorer " + json.dumps(w, sort_keys=True)] = ExtractiveAnswerer(scorer=SentenceScorer(cross_weights=w), **low)
    for settings in reader_settings:
        name = f"both@{settings['shortlist']}" if set(settings) == {"shortlist"} else "both " + json.dumps(settings, sort_keys=True)
        out[name] = ReadingAnswerer(reader=reader, mode="both", **{**rlow, **settings})
    return out


def searched(bot: NewsBot, qa: list[dict], as_of: bool = False):
    """Each question with its search (k = 5; as of its ``as_of`` date when ``as_of``)."""
    for q in qa:
        scope = question_time(q["question"], parse_as_of(q["as_of"])) if as_of and q.get("as_of") else None
        yield q, bot.search.retrieve(q["question"], k=5, time=scope)


def run(store_dir: Path, qa: list[dict], no_refusal: bool = False, names: tuple[str, ...] = ANSWERERS,
        cross_weights: tuple[dict, ...] = (), reader_dir: Path | None = None,
        reader_settings: tuple[dict, ...] = (), as_of: bool = False) -> dict:
    store = Store(store_dir, make_embedder(""))
    systems = answerers(no_refusal, names, cross_weights, reader_dir, reader_settings)
    bot = NewsBot(store, answerer=next(iter(systems.values())))
    rows = {name: [] for name in systems}
    for q, retrieval in searched(bot, qa, as_of):
        lang = question_language(q["question"]) or "en"
        for name, a in systems.items():
            t0 = time.perf_counter()
            ans = a.answer(q["question"], retrieval.passages, lang=lang, idf=retrieval.idf)
            ms = (time.perf_counter() - t0) * 1000
            text = "" if ans.refused else ans.answer
            answerable = bool(q.get("answers"))
            rows[name].append({
                "answerable": answerable, "refused": ans.refused, "ms": ms,
                "first": answerable and m.answer_hit_first_sentence(text, q["answers"]),
                "hit": answerable and m.answer_hit(text, q["answers"]),
                "short": bool(getattr(ans, "short_answer", "")),
                "short_hit": answerable and m.short_answer_right(ans.short_answer, q["answers"]),
                "sentences": len(m.citation_markers(ans.answer)),
            })
    return {name: summarize(r) for name, r in rows.items()}


def summarize(rows: list[dict]) -> dict:
    ans = [r for r in rows if r["answerable"]]
    neg = [r for r in rows if not r["answerable"]]
    ms = [r["ms"] for r in rows]
    out = {
        "questions": len(rows), "answerable": len(ans),
        "first_sentence": round(sum(r["first"] for r in ans) / max(1, len(ans)), 4),
        "answer_hit": round(sum(r["hit"] for r in ans) / max(1, len(ans)), 4),
        "answerable_refused": round(sum(r["refused"] for r in ans) / max(1, len(ans)), 4),
        "short_answers": round(sum(r["short"] for r in ans) / max(1, len(ans)), 4),
        "short_answer_hit": round(sum(r["short_hit"] for r in ans) / max(1, sum(r["short"] for r in ans)), 4),
        "sentences_per_answer": round(float(np.mean([r["sentences"] for r in rows if not r["refused"]] or [0])), 2),
        "answer_ms_p50": round(float(np.percentile(ms, 50)), 1),
        "answer_ms_p95": round(float(np.percentile(ms, 95)), 1),
    }
    if neg:
        out["unanswerable_refused"] = round(sum(r["refused"] for r in neg) / len(neg), 4)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--qa", required=True)
    ap.add_argument("--out")
    ap.add_argument("--no-refusal", action="store_true")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--reader-dir", type=Path, help="a reader model folder (default: the bundled one)")
    ap.add_argument("--answerers", default=",".join(ANSWERERS),
                    help=f"comma-separated, of {', '.join(ANSWERERS)} (default: all)")
    ap.add_argument("--cross-weights", action="append", type=json.loads, default=[],
                    help="JSON object of scorer weights across languages (repeatable): one more scorer each")
    ap.add_argument("--shortlists", default="",
                    help="comma-separated sentence counts: the default answerer reading that many (both@N)")
    ap.add_argument("--as-of", action="store_true",
                    help="search each question as of its as_of date (as newsbot eval does); default: no time scope")
    ap.add_argument("--reader-settings", action="append", type=json.loads, default=[],
                    help=f"JSON object of reader answerer settings ({', '.join(READER_SETTINGS)}; repeatable): "
                         "one more answerer each")
    args = ap.parse_args(argv)
    names = tuple(n.strip() for n in args.answerers.split(",") if n.strip())
    try:
        shortlists = tuple(int(n) for n in args.shortlists.split(",") if n.strip())
    except ValueError:
        ap.error("--shortlists takes comma-separated whole numbers, e.g. 4,6,10")
    if any(n < 1 for n in shortlists):
        ap.error("--shortlists: each count must be at least 1")
    for settings in args.reader_settings:
        if not isinstance(settings, dict) or set(settings) - set(READER_SETTINGS):
            ap.error(f"--reader-settings takes a JSON object of {', '.join(READER_SETTINGS)}")
    if not names or set(names) - set(ANSWERERS):
        ap.error(f"--answerers takes names among {', '.join(ANSWERERS)}")
    qa = [json.loads(x) for x in open(args.qa, encoding="utf-8") if x.strip()]
    if args.limit:
        qa = qa[: args.limit]
    t0 = time.time()
    result = {"qa": Path(args.qa).name, "store": str(args.store), "no_refusal": args.no_refusal,
              "loadavg_1m": round(os.getloadavg()[0], 2), "systems": run(
        Path(args.store), qa, args.no_refusal, names, tuple(args.cross_weights), args.reader_dir,
        tuple({"shortlist": n} for n in shortlists) + tuple(args.reader_settings), args.as_of)}
    result["seconds"] = round(time.time() - t0, 1)
    emit(result, args.out)


if __name__ == "__main__":
    main()
