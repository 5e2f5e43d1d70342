"""Fit and test the scorer's refusal bar for questions in another language than the articles.

e5 similarities between an English question and a French passage are lower even when the passage
answers, so the bar (``ExtractiveAnswerer.min_evidence``, 1.72, fitted on French questions) is
lowered by ``cross_language_margin`` across languages. This fits that margin on data instead of
by hand: the same questions are asked in French and in English of a store that lacks some of their
articles, and the margin is the one at which English questions whose article is there are refused
as often as their French originals are at the French bar (the bot should not answer worse because
it is asked in English). Then it is tested on other questions and another store.

    # C: PIAF store without articles ≡ 2 (mod 4); T: without articles ≡ 3 (mod 4)
    python -m training.cross_language_refusal --fit-store C --fit-qa evaldata/piaf_dev_en_train.jsonl \\
        --test-store T --test-qa evaldata/piaf_dev_en_heldout.jsonl

Questions carry ``question`` (English) and ``question_fr``; a question is answerable when its
``article_id`` is in the store. Fitting uses only the training half (even-numbered articles).
"""
from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

import numpy as np

from bot.extractive import ExtractiveAnswerer
from bot.newsbot import NewsBot
from ingest.embedders import make_embedder
from ingest.store import Store

from . import emit


def confidences(store_dir: Path, qa: list[dict]) -> list[dict]:
    """Per question: the evidence in English and in French (refusal off), whether answerable."""
    store = Store(store_dir, make_embedder("e5-small"))
    present = {a["id"] for a in store.articles()}
    answerer = ExtractiveAnswerer(min_evidence=-math.inf)
    bot = NewsBot(store, answerer=answerer)
    rows = []
    for q in qa:
        row = {"id": q["id"], "answerable": q["article_id"] in present}
        for lang, text in (("en", q["question"]), ("fr", q["question_fr"])):
            retrieval = bot.search.retrieve(text, k=5)
            passages = retrieval.passages
            ans = answerer.answer(text, passages, lang=lang, idf=retrieval.idf)
            row[lang] = ans.confidence
            row[lang + "_cross"] = any(p.metadata.get("lang", lang) != lang for p in passages[:1])
        rows.append(row)
    return rows


def refusal_table(rows: list[dict], lang: str, bar_fr: float, margin: float) -> dict:
    """Refusal precision/recall and the share of answerable questions refused, in one language."""
    bar = bar_fr - (margin if lang == "en" else 0.0)
    refused = [r[lang] < (bar if r.get(lang + "_cross", lang == "en") else bar_fr) for r in rows]
    neg = [not r["answerable"] for r in rows]
    tp = sum(f and n for f, n in zip(refused, neg))
    return {
        "questions": len(rows), "unanswerable": sum(neg),
        "refusal_precision": round(tp / max(1, sum(refused)), 3),
        "refusal_recall": round(tp / max(1, sum(neg)), 3),
        "answerable_refused": round(sum(f and not n for f, n in zip(refused, neg)) / max(1, len(rows) - sum(neg)), 3),
    }


def fit_margin(rows: list[dict], bar_fr: float) -> float:
    """The smallest margin at which English answerable questions are refused no more often than
    their French originals at the French bar."""
    target = refusal_table(rows, "fr", bar_fr, 0.0)["answerable_refused"]
    for margin in np.arange(0.0, 0.5001, 0.01):
        if refusal_table(rows, "en", bar_fr, float(margin))["answerable_refused"] <= target:
            return round(float(margin), 2)
    return 0.5


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Fit and test the cross-language refusal margin.")
    ap.add_argument("--fit-store", type=Path, required=True)
    ap.add_argument("--fit-qa", type=Path, required=True)
    ap.add_argument("--test-store", type=Path, required=True)
    ap.add_argument("--test-qa", type=Path, required=True)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    bar = ExtractiveAnswerer().min_evidence
    read = lambda p: [json.loads(x) for x in open(p, encoding="utf-8") if x.strip()]  # noqa: E731
    fit = confidences(args.fit_store, read(args.fit_qa))
    test = confidences(args.test_store, read(args.test_qa))
    margin = fit_margin(fit, bar)
    current = ExtractiveAnswerer().cross_language_margin
    result = {"bar_fr": bar, "fitted_margin": margin, "current_margin": current,
              "loadavg_1m": round(os.getloadavg()[0], 2)}
    for name, rows in (("fit", fit), ("test", test)):
        result[name] = {f"{lang}@{m}": refusal_table(rows, lang, bar, m)
                        for lang, m in (("fr", 0.0), ("en", current), ("en", margin))}
    emit(result, args.out)


if __name__ == "__main__":
    main()
