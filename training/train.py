"""Rebuild the answer reader from the training files: ``python -m training.train``.

    python -m training.train --piaf-store STORE [--out bot/models/reader] [--seed 13] [--device cuda]

Data (never the evaluation stores' held-out questions, nor ``rtqa_dev``):

- PIAF dev questions on even-numbered articles (``piaf-000``, ``piaf-002``…), in French, and
  the English versions of 420 of them (``evaldata/piaf_dev_en_train.jsonl``), with candidates
  from the real search over ``--piaf-store`` restricted to even-numbered articles; the
  odd-numbered half is never read and is what docs/answers.md reports on;
- RealTimeQA 2022-2023 (``../shared/train/rtqa-2022-2023``), English news.

Steps: build the examples (cached in ``--work``), pack them (:mod:`training.cross`), train
the cross-encoder (:mod:`training.cross_train`: every e5 layer fine-tuned, listwise softmax
over a question's candidates + pointwise logistic loss + answer-span loss), export it to ONNX
(int8) and write ``reader.json`` (data, seed, settings, timings, validation). Training takes
about 40 s a run on one H100 and about 85 minutes an epoch on 2 CPU cores; the shipped model
was trained on the H100 (docs/answers.md). ``--sweep`` and ``--soup`` choose the setting on a
validation part of the training questions first (see ``training.cross_train``).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"


def build_examples(args) -> list[dict]:
    from ingest.embedders import make_embedder
    from ingest.store import Store

    from bot.newsbot import NewsBot
    from .data import piaf_examples, rtqa_examples
    from .splits import in_split

    def even_article(article_id: str) -> bool:
        return in_split(article_id, "train")

    store = Store(args.piaf_store, make_embedder(""))
    bot = NewsBot(store)
    fr = [json.loads(x) for x in open(args.piaf_qa, encoding="utf-8")]
    en = [json.loads(x) for x in open(args.piaf_en, encoding="utf-8")]
    out = piaf_examples(bot, [dict(q, lang="fr") for q in fr], even_article, args.shortlist)
    print(f"piaf fr: {len(out)} questions with a positive candidate", flush=True)
    out_en = piaf_examples(bot, [dict(q, lang="en") for q in en], even_article, args.shortlist)
    print(f"piaf en: {len(out_en)}", flush=True)
    rt = rtqa_examples(Path(args.rtqa_questions), Path(args.rtqa_articles), args.shortlist, seed=args.seed)
    print(f"rtqa: {len(rt)}", flush=True)
    return out + out_en + rt



def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--piaf-store", required=True, help="a store of ../shared/corpus/piaf/articles.jsonl")
    ap.add_argument("--piaf-qa", default=str(SHARED / "eval" / "piaf_dev.jsonl"))
    ap.add_argument("--piaf-en", default=str(ROOT / "evaldata" / "piaf_dev_en_train.jsonl"))
    ap.add_argument("--rtqa-questions", default=str(SHARED / "train" / "rtqa-2022-2023" / "questions.jsonl"))
    ap.add_argument("--rtqa-articles", default=str(SHARED / "train" / "rtqa-2022-2023" / "articles.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "bot" / "models" / "reader"))
    ap.add_argument("--work", default="reader-work", help="folder for the cached examples, packed pairs and run")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--shortlist", type=int, default=12)
    ap.add_argument("--device", default="", help="torch device (default: cuda when there is one)")
    ap.add_argument("--train-args", default="--soup 13,14,15 --lr 6e-5 --epochs 4 --dropout 0.1 --budget 100000",
                    help="passed to training.cross_train (the default is how the shipped model was trained)")
    args = ap.parse_args(argv)
    from ingest.e5file import E5File

    from . import cross, cross_train

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    cached = work / f"examples-{args.shortlist}-{args.seed}.json"
    if cached.exists():
        examples = json.loads(cached.read_text())
    else:
        examples = build_examples(args)
        cached.write_text(json.dumps(examples, ensure_ascii=False))
    packed = work / "packed"
    summary = cross.pack(examples, E5File.shared(), packed, cross._article_index())
    summary["seconds_examples"] = round(time.time() - t0, 1)
    (packed / "packed.json").write_text(json.dumps(summary, indent=2) + "\n")
    run = work / "run"
    cross_train.main(["--packed", str(packed), "--out", str(run), "--seed", str(args.seed)]
                     + (["--device", args.device] if args.device else []) + args.train_args.split())
    print(json.dumps(cross.export(run, Path(args.out), E5File.shared(), summary)["training"].get("final"), indent=2))


if __name__ == "__main__":
    main()
