"""Rebuild the answer reader end to end: ``python -m training.train``.

    python -m training.train [--piaf-store STORE] [--work reader-work] [--out reader-work/model]
        [--init bot/models/reader/cross.onnx | e5] [--max-hours H] [--device cuda] [--pack-only] [--smoke]

Steps, each cached in ``--work`` so that running the same command again goes on where it stopped:

1. **examples** (``work/examples/<source>.json``): each question with its labelled candidate
   sentences (:mod:`training.reader_examples`, :mod:`training.paragraph_examples`). Sources (``--sources``):
   - ``piaf-fr``, ``piaf-en``: PIAF dev questions on even-numbered articles and the English
     versions of 420 of them (``evaldata/piaf_dev_en_train.jsonl``), candidates from the real
     search over ``--piaf-store`` (left out without one);
   - ``rtqa``: RealTimeQA 2022–2023 (``../shared/train/rtqa-2022-2023``);
   - ``piaf-extra``: 1,323 more French questions on the even-numbered PIAF articles;
   - ``xquad``: XQuAD's questions, each paired (``--xquad-pairs`` times) with its paragraph in
     another language.
   Nothing of an odd-numbered PIAF article is read: docs/answers.md reports on those.
2. **pack** (``work/packed``): :func:`training.reader_pairs.pack`.
3. **train** (``work/run``): :func:`training.resumable_run.train_resumable`, from the shipped model
   (``--init``, read back by :mod:`training.warmstart`) or from e5-small (``--init e5``), with a
   checkpoint every ``--every`` seconds; ``--max-hours`` stops it (checkpoint kept) and the next
   run goes on. Progress in ``work/run/train.log`` and ``progress.json``.
4. **export** (``--out``): ``cross.onnx`` (int8) and ``reader.json``, when every step is done
   (:func:`training.reader_export.export`).
5. **calibrate**: the short answer's threshold (:mod:`training.shortfit`, precision 0.8 on the
   validation part of the training questions) and, with ``--piaf-store``, the refusal rule
   (:mod:`training.calibrate`).

``--pack-only`` stops after step 2 and writes ``work/device``: on a lent GPU machine, which has
torch but neither the project's packages nor ``../shared``, ``training/device_train.sh`` trains on
that folder, carried; its weights, put in ``work/run``, are exported and calibrated by this
command run again.

``--smoke`` runs every step in seconds on the six questions of ``training/smoke/`` about the
sample articles, with a one-layer network trained for two steps, stopped and resumed: what the
tests run. The default ``--out`` is a folder of ``--work``, not the shipped model: a new model
replaces ``bot/models/reader`` only after it is measured against it (docs/answers.md).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SOURCES = ("piaf-fr", "piaf-en", "rtqa", "piaf-extra", "xquad")
SMOKE = ROOT / "training" / "smoke" / "questions.jsonl"


def even_article(article_id: str) -> bool:
    from .splits import in_split

    return in_split(article_id, "train")


def build_source(name: str, args) -> list[dict]:
    """The examples of one source (see the module's docstring)."""
    from . import paragraph_examples, reader_examples

    train = Path(args.shared) / "train"
    if name == "smoke":
        return paragraph_examples.paragraph_examples(SMOKE, ROOT / "samples" / "articles.jsonl", lambda a: True, 6, "piaf-fr")
    if name == "rtqa":
        d = train / "rtqa-2022-2023"
        return reader_examples.rtqa_examples(d / "questions.jsonl", d / "articles.jsonl", args.shortlist, seed=args.seed)
    if name == "piaf-extra":
        return paragraph_examples.paragraph_examples(train / "piaf-extra" / "questions.jsonl",
                                        Path(args.shared) / "corpus" / "piaf" / "articles.jsonl", even_article,
                                        args.extra_shortlist, "piaf-extra", args.seed)
    if name == "xquad":
        return paragraph_examples.xquad_examples(train / "xquad", args.extra_shortlist, args.seed, args.xquad_pairs)
    from bot.newsbot import NewsBot
    from ingest.embedders import make_embedder
    from ingest.store import Store

    bot = NewsBot(Store(args.piaf_store, make_embedder("")))
    lang = name.removeprefix("piaf-")
    path = Path(args.shared) / "eval" / "piaf_dev.jsonl" if lang == "fr" else ROOT / "evaldata" / "piaf_dev_en_train.jsonl"
    qs = [dict(json.loads(x), lang=lang) for x in open(path, encoding="utf-8") if x.strip()]
    return reader_examples.piaf_examples(bot, qs, even_article, args.shortlist)


def examples(args, work: Path, log) -> list[dict]:
    out = []
    for name in args.sources.split(","):
        if name in ("piaf-fr", "piaf-en") and not args.piaf_store:
            log(f"{name}: left out (no --piaf-store)")
            continue
        cached = work / "examples" / f"{name}.json"
        if not cached.exists():
            t0 = time.time()
            cached.parent.mkdir(parents=True, exist_ok=True)
            rows = build_source(name, args)
            tmp = cached.with_suffix(".tmp")
            tmp.write_text(json.dumps(rows, ensure_ascii=False))
            tmp.replace(cached)
            log(f"{name}: {len(rows)} questions ({time.time() - t0:.0f} s)")
        out += json.loads(cached.read_text(encoding="utf-8"))
    return out


def pack(args, work: Path, rows: list[dict], log) -> tuple[Path, dict]:
    from ingest.e5file import E5File

    from . import reader_pairs

    packed = work / "packed"
    info = packed / "packed.json"
    if info.exists():
        return packed, json.loads(info.read_text())
    t0 = time.time()
    article_of = {} if args.smoke else reader_pairs.article_index()
    if args.max_cands:
        rows = [dict(ex, cands=first_cands(ex["cands"], args.max_cands)) for ex in rows]
    summary = reader_pairs.pack(rows, E5File.shared(), packed, article_of)
    summary["max_cands"] = args.max_cands
    summary["seconds"] = round(time.time() - t0, 1)
    info.write_text(json.dumps(summary, indent=2) + "\n")
    log(f"packed {summary['questions']} questions, {summary['pairs']} pairs: {summary['by_source']}")
    return packed, summary


def device_folder(packed: Path, out: Path, log) -> None:
    """What a lent GPU machine trains on (``training/device_train.sh``): the packed pairs and the
    word table without e5's blocks (the run goes on from the shipped model there), small enough to
    travel beside the checkout; the whole ``packed`` folder, which a run from e5-small needs, may not be."""
    import shutil

    from .reader_pairs import slim_weights

    out.mkdir(parents=True, exist_ok=True)
    for name in ("pairs.npz", "packed.json"):
        shutil.copyfile(packed / name, out / name)
    slim_weights(packed / "weights.npz", out / "weights.npz")

    def mib(folder: Path) -> str:
        return f"{sum(f.stat().st_size for f in folder.iterdir()) / 2**20:.1f} MiB"

    log(f"packed in {packed} ({mib(packed)}); for a lent machine: {out} ({mib(out)}); stopping there (--pack-only)")


def first_cands(cands: list[dict], n: int) -> list[dict]:
    """The first ``n`` candidates (the scorer's order), and the first positive one if none of
    them is: the bot reads the scorer's first 6."""
    head = cands[:n]
    if not any(c["label"] for c in head):
        head += [c for c in cands[n:] if c["label"]][:1]
    return head


def trained_groups(n: int, args) -> list[int]:
    """The questions trained on: all ``n``, or ``--questions`` of them drawn with the seed."""
    import random

    groups = list(range(n))
    if args.questions and args.questions < n:
        groups = sorted(random.Random(args.seed).sample(groups, args.questions))
    return groups


def setting_of(args) -> dict:
    return {"lr": args.lr, "epochs": args.epochs, "span_weight": args.span_weight, "dropout": args.dropout}


def train(args, packed: Path, work: Path, log) -> Path | None:
    """Train (or go on training); the run folder once every step is done, else None."""
    import torch

    from .reader_net import Pairs, load_weights
    from .reader_training import save_state
    from .resumable_run import make_net, train_resumable

    run = work / "run"
    if (run / "train.json").exists() and "files" in json.loads((run / "train.json").read_text()):
        return run
    cfg, sd, words = load_weights(packed / "weights.npz")
    if args.layers:
        cfg["layers"] = args.layers
    init = None
    if args.init != "e5":
        from .warmstart import state_from_onnx

        init = state_from_onnx(args.init)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.set_num_threads(args.threads or torch.get_num_threads())
    pairs = Pairs(packed / "pairs.npz")
    groups = trained_groups(len(pairs.source), args)
    net = make_net(cfg, sd, setting_of(args), 0, init)
    log(f"{device}: {len(groups)} questions, {int(sum(len(pairs.members[g]) for g in groups))} pairs, "
        f"from {args.init}, {setting_of(args)}")
    net, done = train_resumable(net, words, pairs, groups, setting_of(args), args.seed, run, device,
                                args.max_hours * 3600, args.every, args.batch_questions, log=log,
                                max_steps=args.max_steps)
    if not done:
        log("stopped before the last step: run the same command again to go on")
        return None
    record = {"device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu", "torch": torch.__version__,
              "seed": args.seed, "batch_questions": args.batch_questions, "context": "", "prior_features": 0, "layers": cfg["layers"], "init": args.init,
              "questions": len(groups), "pairs": int(sum(len(pairs.members[g]) for g in groups)),
              "final": {"setting": setting_of(args), "train_on": "all training questions"},
              "files": save_state(net, run)}
    (run / "train.json").write_text(json.dumps(record, indent=2) + "\n")
    return run


def checkpoint_run(args, packed: Path, work: Path, log) -> Path:
    """``--export-checkpoint``: the weights of the unfinished run's checkpoint as a run folder of
    their own (``work/checkpoint-run``), to measure them before the run ends; the run goes on."""
    import torch

    from .reader_net import load_weights
    from .reader_training import save_state
    from .resumable_run import CHECKPOINT, make_net

    state = torch.load(work / "run" / CHECKPOINT, map_location="cpu", weights_only=False)
    cfg, sd, _words = load_weights(packed / "weights.npz")
    if args.layers:
        cfg["layers"] = args.layers
    net = make_net(cfg, sd, setting_of(args))
    net.load_state_dict(state["net"])
    out = work / "checkpoint-run"
    out.mkdir(parents=True, exist_ok=True)
    record = {"device": "cpu", "torch": torch.__version__, "seed": args.seed, "context": "", "prior_features": 0,
              "layers": cfg["layers"], "init": args.init,
              "final": {"setting": setting_of(args), "train_on": f"step {state['step']} of {state['steps']} (checkpoint)"},
              "files": save_state(net, out)}
    (out / "train.json").write_text(json.dumps(record, indent=2) + "\n")
    log(f"checkpoint at step {state['step']}/{state['steps']} exported as a run: {out}")
    return out


def export_and_calibrate(args, run: Path, summary: dict, rows: list[dict], log) -> dict:
    from ingest.e5file import E5File

    from . import reader_export, reader_pairs, shortfit
    from .reader_pairs import validation_group

    out = Path(args.out or Path(args.work) / "model")
    meta = reader_export.export(run, out, E5File.shared(), summary)
    log(f"exported {out / 'cross.onnx'} ({meta['onnx_bytes'] / 1e6:.1f} MB)")
    # Fitted on training questions the run left out when there are some (a span score on questions
    # trained on says too little: docs/answers.md), else on the validation part of the training data.
    trained = set(trained_groups(len(rows), args))
    fit_on = [ex for g, ex in enumerate(rows) if g not in trained]
    if not fit_on:
        article_of = {} if args.smoke else reader_pairs.article_index()
        fit_on = [ex for g, ex in enumerate(rows) if args.smoke or validation_group(ex, g, article_of)]
    rule = shortfit.fit_model(out, shortfit.spread(fit_on, args.short_limit), write=True,
                              min_shown=2 if args.smoke else 20)
    log(f"short answer: {json.dumps(rule)}")
    if args.piaf_store and not args.smoke and not args.export_checkpoint:
        from . import calibrate

        calibrate.main(["--piaf-store", args.piaf_store, "--work", str(Path(args.work) / "calibrate"),
                        "--model", str(out)])
    return json.loads((out / "reader.json").read_text())


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--piaf-store", default="", help="a store of ../shared/corpus/piaf/articles.jsonl (for the "
                    "piaf-fr and piaf-en sources and the refusal calibration)")
    ap.add_argument("--shared", default=str(SHARED), help="the shared data folder (train/, eval/, corpus/)")
    ap.add_argument("--sources", default=",".join(SOURCES))
    ap.add_argument("--work", default="reader-work", help="folder for the examples, packed pairs, run and checkpoints")
    ap.add_argument("--out", default="", help="where the model goes (default: WORK/model)")
    ap.add_argument("--init", default=str(ROOT / "bot" / "models" / "reader" / "cross.onnx"),
                    help="an exported cross.onnx to go on from, or e5 (multilingual-e5-small)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--shortlist", type=int, default=12, help="candidates of the PIAF dev and RealTimeQA questions")
    ap.add_argument("--extra-shortlist", type=int, default=8, help="candidates of the piaf-extra and XQuAD questions")
    ap.add_argument("--xquad-pairs", type=int, default=2, help="language pairings per XQuAD question")
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--span-weight", type=float, default=0.5)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--max-cands", type=int, default=0, help="pack at most this many candidates a question (the "
                    "scorer's first, and a positive one; 0: all)")
    ap.add_argument("--batch-questions", type=int, default=16, help="questions (with all their candidates) a step")
    ap.add_argument("--questions", type=int, default=0, help="train on this many questions drawn at random from "
                    "all sources (a run that fits a CPU session; 0: all)")
    ap.add_argument("--layers", type=int, default=0, help="train only the first N layers (the smoke run: 1)")
    ap.add_argument("--max-hours", type=float, default=float("inf"), help="stop (checkpoint kept) after this long")
    ap.add_argument("--max-steps", type=int, default=0, help="stop (checkpoint kept) after this many steps")
    ap.add_argument("--every", type=float, default=300.0, help="seconds between checkpoints")
    ap.add_argument("--short-limit", type=int, default=600, help="questions the short-answer threshold is fitted on")
    ap.add_argument("--device", default="", help="torch device (default: cuda when there is one)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--export-checkpoint", action="store_true", help="export the unfinished run's last checkpoint "
                    "(into --out) instead of training")
    ap.add_argument("--pack-only", action="store_true", help="stop after packing: the packed folder is what a lent "
                    "GPU machine trains on (training/device_train.sh, docs/answers.md)")
    ap.add_argument("--smoke", action="store_true", help="the whole pipeline in seconds on training/smoke/")
    return ap


def main(argv=None) -> dict | None:
    args = parser().parse_args(argv)
    if args.smoke:
        args.sources, args.layers, args.init, args.every = "smoke", args.layers or 1, "e5", 0.0
        args.max_steps, args.epochs = args.max_steps or 1, 2
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    log_path = work / "train.log"

    def log(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S', time.gmtime())} {msg}"
        print(line, flush=True)
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    rows = examples(args, work, log)
    packed, summary = pack(args, work, rows, log)
    if args.pack_only:
        device_folder(packed, work / "device", log)
        return None
    run = checkpoint_run(args, packed, work, log) if args.export_checkpoint else train(args, packed, work, log)
    if run is None:
        return None
    return export_and_calibrate(args, run, summary, rows, log)


if __name__ == "__main__":
    main()
