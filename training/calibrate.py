"""Fit and measure the reader's refusal rule on PIAF questions whose article may be missing.

    python -m training.calibrate --piaf-store STORE --work DIR [--model bot/models/reader]

A copy of the PIAF store loses half of a split's articles (``splits.REMOVED``); that split's
questions on removed articles are unanswerable there, the others answerable. For each question
the bot searches as usual and the reader gives its best logit; with the retrieval evidence of
:meth:`ExtractiveAnswerer.evidence` less the scorer's threshold (``margin``),
``confidence = logit + w * margin``; the largest ``w`` is the scorer's own rule in effect.

- ``calibrate`` split (articles ≡ 1 mod 4, never trained on): for each ``w`` the threshold that
  refuses at most ``--max-refused`` of the answerable questions; the ``w`` refusing the most
  unanswerable ones wins and is written into ``reader.json``;
- ``refusal-test`` split (≡ 3 mod 4): refusal precision and recall at the chosen rule.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from bot.newsbot import NewsBot
from bot.questions import question_language
from bot.reader import MODEL_DIR, Reader
from bot.reading_answerer import ReadingAnswerer
from ingest.embedders import make_embedder
from ingest.store import Store

from .splits import REMOVED, SPLITS, article_number

WEIGHTS = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 256.0)


def split_store(src: Path, work: Path, split: str) -> Path:
    dst = work / f"store-{split}"
    if not dst.exists():
        shutil.copytree(src, dst)
        store = Store(dst, make_embedder("e5-small"))
        ids = {a["id"] for a in store.articles()}
        for aid in sorted(ids):
            n = article_number(aid)
            if n is not None and REMOVED[split](n):
                store.delete_article(aid)
    return dst


def observations(store_dir: Path, qa: list[dict], split: str, reader: Reader) -> list[tuple[float, float, bool]]:
    store = Store(store_dir, make_embedder("e5-small"))
    present = {a["id"] for a in store.articles()}
    answerer = ReadingAnswerer(reader=reader)
    bot = NewsBot(store, answerer=answerer)
    out = []
    for q in qa:
        n = article_number(q.get("article_id", ""))
        if n is None or not SPLITS[split](n):
            continue
        retrieval = bot.search.retrieve(q["question"], k=5)
        top = retrieval.passages[:answerer.top_passages]
        lang = question_language(q["question"]) or "fr"
        rows = answerer.ranked(q["question"], top, lang, retrieval.idf)
        if not rows:
            out.append((-30.0, -30.0, q["article_id"] in present))
            continue
        best_cov = max(rows, key=lambda x: x[0].score)[0]
        margin = answerer.evidence(top, best_cov) - answerer.threshold(top, lang)
        out.append((rows[0][1].score, margin, q["article_id"] in present))
    return out


def refusal_rates(obs, w: float, tau: float) -> dict:
    conf = np.array([lg + w * ev for lg, ev, _ in obs])
    answerable = np.array([a for _, _, a in obs])
    refused = conf < tau
    neg = ~answerable
    return {"precision": round(float((refused & neg).sum() / max(1, refused.sum())), 4),
            "recall": round(float((refused & neg).sum() / max(1, neg.sum())), 4),
            "answerable_refused": round(float((refused & answerable).sum() / max(1, answerable.sum())), 4),
            "answerable": int(answerable.sum()), "unanswerable": int(neg.sum())}


def fit(obs, max_refused: float) -> dict:
    best = None
    for w in WEIGHTS:
        conf_pos = np.sort([lg + w * ev for lg, ev, a in obs if a])
        if not len(conf_pos):
            break
        tau = float(conf_pos[int(max_refused * len(conf_pos))])
        rates = refusal_rates(obs, w, tau)
        if best is None or rates["recall"] > best["rates"]["recall"]:
            best = {"evidence_weight": w, "min_confidence": round(tau, 4), "rates": rates}
    return best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--piaf-store", required=True)
    ap.add_argument("--piaf-qa", default=str(Path(__file__).resolve().parents[2] / "shared" / "eval" / "piaf_dev.jsonl"))
    ap.add_argument("--work", required=True)
    ap.add_argument("--model", default=str(MODEL_DIR))
    ap.add_argument("--max-refused", type=float, default=0.05)
    args = ap.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    qa = [json.loads(x) for x in open(args.piaf_qa, encoding="utf-8") if x.strip()]
    reader = Reader(args.model)
    cal = observations(split_store(Path(args.piaf_store), work, "calibrate"), qa, "calibrate", reader)
    rule = fit(cal, args.max_refused)
    test = observations(split_store(Path(args.piaf_store), work, "refusal-test"), qa, "refusal-test", reader)
    rule["test"] = refusal_rates(test, rule["evidence_weight"], rule["min_confidence"])
    # The scorer's own rule on the same questions (evidence under its threshold), for comparison.
    rule["test_scorer"] = refusal_rates([(margin, 0.0, a) for _lg, margin, a in test], 0.0, 0.0)
    rule["model"] = "cross"
    info_path = Path(args.model) / "reader.json"
    info = json.loads(info_path.read_text())
    info["refusal"] = rule
    info_path.write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(rule, indent=2))


if __name__ == "__main__":
    main()
