"""Measurements behind docs/answers.md: retrieval hit rates, answer sentence rates, refusal
precision/recall (with a threshold sweep) and latency of ``NewsBot.ask``.

    python -m bot.eval.answer_bench retrieval --store STORE --qa piaf_dev.jsonl [--set rrf_k=60 --set sentence_weight=0]
    python -m bot.eval.answer_bench answers   --store STORE --qa piaf_dev.jsonl
    python -m bot.eval.answer_bench refusal   --store HALF_STORE --qa piaf_dev.jsonl [--seed-store S --seed-qa seed_dev.jsonl]

A hit is a passage containing one of the answer strings (case- and whitespace-insensitive).
For ``refusal``, a QA item is answerable when its ``article_id`` is in the store (or, without an
``article_id``, when it lists answers); every other question should be refused.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def read_qa(path: Path, limit: int | None = None) -> list[dict]:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return items[:limit] if limit else items


def answer_sentences(answer: str) -> list[str]:
    """The quoted sentences of an answer (split at its ``[n]`` markers)."""
    return [s for s in (x.strip() for x in re.split(r"\s*\[\d+\](?:\s*\[\d+\])*\s*", answer)) if s]


def _bot(store: Path, min_evidence: float | None = None):
    from ingest.settings import Settings

    from ..newsbot import NewsBot

    bot = NewsBot.from_settings(Settings(store=store))
    if min_evidence is not None:
        bot.answerer.min_evidence = min_evidence
    return bot


def bench_retrieval(args) -> dict:
    from dataclasses import replace

    bot = _bot(args.store)
    changes = {}
    for item in args.set or []:
        name, _, value = item.partition("=")
        changes[name] = type(getattr(bot.search.config, name))(value)
    bot.search.config = replace(bot.search.config, **changes)
    hits = {1: 0, 5: 0, 10: 0}
    items = read_qa(args.qa, args.limit)
    times = []
    for it in items:
        answers = [normalize(a) for a in it["answers"]]
        t0 = time.perf_counter()
        passages = bot.search.search(it["question"], k=10)
        times.append(time.perf_counter() - t0)
        texts = [normalize(p.text) for p in passages]
        for k in hits:
            hits[k] += any(any(a in t for a in answers) for t in texts[:k])
    return {"questions": len(items), "config": changes, **{f"hit@{k}": round(v / len(items), 4) for k, v in hits.items()},
            "search_ms_p50": round(statistics.median(times) * 1000, 1)}


def bench_answers(args) -> dict:
    bot = _bot(args.store, min_evidence=0.0)  # the sentence choice, not the refusal, is measured here
    items = read_qa(args.qa, args.limit)
    first = three = 0
    times = []
    for it in items:
        answers = [normalize(a) for a in it["answers"]]
        t0 = time.perf_counter()
        ans = bot.ask(it["question"], k=5)
        times.append(time.perf_counter() - t0)
        sents = [normalize(s) for s in answer_sentences(ans.answer)]
        first += bool(sents) and any(a in sents[0] for a in answers)
        three += any(any(a in s for a in answers) for s in sents[:3])
    times.sort()
    return {"questions": len(items), "first_sentence": round(first / len(items), 4),
            "within_first_three": round(three / len(items), 4),
            "ask_ms_p50": round(times[len(times) // 2] * 1000, 1),
            "ask_ms_p95": round(times[min(len(times) - 1, int(len(times) * 0.95))] * 1000, 1)}


def _confidences(store: Path, items: list[dict]) -> list[tuple[float, bool, dict]]:
    """(evidence, answerable, features) per question; the evidence is shifted by the answerer's
    cross-language margin so that one threshold applies to every question."""
    bot = _bot(store)
    default = bot.answerer.min_evidence
    in_store = {a["id"] for a in bot.store.articles()}
    out = []
    for it in items:
        answerable = it["article_id"] in in_store if it.get("article_id") else bool(it.get("answers"))
        ans = bot.ask(it["question"], k=5)
        top = ans.passages[:5]
        lang = bot._language(it["question"], None)
        scored = bot.answerer.scorer.score(it["question"], top, lang)
        shift = default - bot.answerer.threshold(top, lang)
        out.append((ans.confidence + shift, answerable, {
            "dense": max((p.dense_score or 0.0 for p in top), default=0.0),
            "sentence": max((x for p in top for _, _, x in p.sentences), default=0.0),
            "coverage": scored[0].coverage if scored else 0.0}))
    return out


def refusal_scores(conf: list[tuple], threshold: float) -> dict:
    refused_neg = sum(1 for c, ok, *_ in conf if c < threshold and not ok)
    refused_pos = sum(1 for c, ok, *_ in conf if c < threshold and ok)
    negatives = sum(1 for _, ok, *_ in conf if not ok)
    refused = refused_neg + refused_pos
    return {"threshold": threshold, "precision": round(refused_neg / refused, 4) if refused else None,
            "recall": round(refused_neg / negatives, 4) if negatives else None,
            "answerable_refused": round(refused_pos / max(1, len(conf) - negatives), 4)}


def bench_refusal(args) -> dict:
    conf = _confidences(args.store, read_qa(args.qa, args.limit))
    if args.seed_store and args.seed_qa:
        conf += _confidences(args.seed_store, read_qa(args.seed_qa))
    from ..answerers import ExtractiveAnswerer

    default = ExtractiveAnswerer().min_evidence
    sweep = [refusal_scores(conf, t / 100) for t in range(164, 182, 2)]
    if args.dump:
        args.dump.write_text(json.dumps(conf), encoding="utf-8")
    return {"questions": len(conf), "negatives": sum(1 for _, ok, *_ in conf if not ok),
            "at_default": refusal_scores(conf, default), "sweep": sweep}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bot.eval.answer_bench", description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["retrieval", "answers", "refusal"])
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--qa", type=Path, required=True)
    p.add_argument("--limit", type=int)
    p.add_argument("--seed-store", type=Path)
    p.add_argument("--seed-qa", type=Path)
    p.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="retrieval: override a SearchConfig field, e.g. --set rrf_k=60 --set sentence_weight=0")
    p.add_argument("--dump", type=Path, help="refusal: write (confidence, answerable, features) per question")
    args = p.parse_args(argv)
    result = {"retrieval": bench_retrieval, "answers": bench_answers, "refusal": bench_refusal}[args.what](args)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
