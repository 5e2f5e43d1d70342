"""The reader's network and what it reads: :class:`CrossNet` (multilingual-e5-small reading a
question and a sentence together, with relevance and answer-span heads), the packed weights
(:func:`load_weights`, ``weights.npz``) and pairs (:class:`Pairs`, ``pairs*.npz``) that
``python -m training.reader_pairs`` writes, and the training loss (:func:`batch_loss`).
Needs only torch and numpy.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ingest.e5file import dequantize_bytes

from .encoder import Block

RANK_CAP = 12


class CrossNet(nn.Module):
    """multilingual-e5-small reading ``query: q`` + ``passage: s`` as one sequence.

    ``forward(words, mask, seg, rank)``: word vectors [b, t, h], attention mask [b, t], ``seg``
    [b, t] 1.0 on the sentence's tokens that may start or end an answer span (0 elsewhere),
    ``rank`` [b] the sentence's rank in the scorer's shortlist (0 = best); with ``prior_features``
    > 0, ``prior`` [b, prior_features] the scorer's score of the sentence and its distance to the
    shortlist's best score (:func:`bot.reader_encoding.score_prior`), read by the relevance head beside the
    pooled text. Returns the relevance logit [b] and start/end logits [b, t] (-1e4 off the
    sentence)."""

    def __init__(self, cfg: dict, sd: dict[str, np.ndarray], dropout: float = 0.0, prior_features: int = 0):
        super().__init__()
        h = cfg["hidden"]
        self.pos = nn.Parameter(torch.from_numpy(sd["pos"]))
        self.type_vec = nn.Parameter(torch.from_numpy(sd["type"]))
        self.emb_ln = nn.LayerNorm(h, eps=cfg["eps"])
        self.blocks = nn.ModuleList(Block(h, cfg["heads"], cfg["ffn"], cfg["eps"], dropout)
                                    for _ in range(cfg["layers"]))
        self.drop = nn.Dropout(dropout)
        with torch.no_grad():
            self.emb_ln.weight.copy_(torch.from_numpy(sd["emb_ln.w"]))
            self.emb_ln.bias.copy_(torch.from_numpy(sd["emb_ln.b"]))
            for n, blk in enumerate(self.blocks):
                for part in ("q", "k", "v", "ao", "fi", "fo", "aln", "oln"):
                    getattr(blk, part).weight.copy_(torch.from_numpy(sd[f"l{n}.{part}.w"]))
                    getattr(blk, part).bias.copy_(torch.from_numpy(sd[f"l{n}.{part}.b"]))
        self.prior_features = prior_features
        self.relevance = nn.Sequential(nn.Linear(2 * h + prior_features, h), nn.GELU(), nn.Linear(h, 1))
        # The scorer's order as a prior, logit += rank_weight * log(1 + rank): the network starts
        # from the hand-weighted order and learns what to change.
        self.rank_weight = nn.Parameter(torch.tensor(-1.0))
        self.span = nn.Linear(h, 2)

    def forward(self, words, mask, seg, rank, prior=None):
        t = words.shape[1]
        x = self.drop(self.emb_ln(words + self.pos[:t] + self.type_vec))
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * -1e4
        for blk in self.blocks:
            x = blk(x, bias)
        sm = seg.to(x.dtype)[..., None]
        pooled = torch.cat([x[:, 0], (x * sm).sum(1) / sm.sum(1).clamp(min=1.0)], dim=-1)
        if self.prior_features:
            pooled = torch.cat([pooled, prior.to(x.dtype)], dim=-1)
        rel = self.relevance(pooled).squeeze(-1) + self.rank_weight * torch.log1p(rank.to(x.dtype))
        span = self.span(x) + (1.0 - sm) * -1e4
        return rel, span[..., 0], span[..., 1]


def load_weights(path: Path) -> tuple[dict, dict[str, np.ndarray], np.ndarray]:
    """(config, float32 state dict, word-table rows of the pruned vocabulary) from ``weights.npz``."""
    z = np.load(path)
    cfg = json.loads(str(z["config"]))
    sd = {}
    for key in z.files:
        if key in ("config", "words"):
            continue
        if key.endswith("@q4"):
            name = key[:-3]
            shape = tuple(int(x) for x in z[name + "@shape"])
            sd[name] = dequantize_bytes(z[key], shape[1]).reshape(shape)
        elif not key.endswith("@shape"):
            sd[key] = z[key].astype(np.float32)
    words = dequantize_bytes(z["words"], cfg["hidden"])
    return cfg, sd, words


class Pairs:
    """The packed pairs, grouped by question."""

    def __init__(self, path: Path):
        z = np.load(path)
        self.ids, self.offsets = z["ids"], z["offsets"]
        self.seg = z["seg"]
        self.label, self.rank = z["label"], z["rank"]
        self.start, self.end = z["start"], z["end"]
        self.group = z["group"]
        self.source = [str(s) for s in z["group_source"]]
        self.val = z["group_val"].astype(bool)
        # What the reader saw before each sentence (bot.reader_encoding.compose_context's mode).
        self.context = str(z["context"]) if "context" in z.files else ""
        # The scorer's score of each pair's sentence and its distance to the group's best.
        self.prior = z["prior"] if "prior" in z.files else np.zeros((len(self.label), 2), np.float32)
        self.members = [np.flatnonzero(self.group == g) for g in range(len(self.source))]

    def batch(self, groups: list[int], device):
        rows = np.concatenate([self.members[g] for g in groups])
        lens = self.offsets[rows + 1] - self.offsets[rows]
        t = int(lens.max())
        ids = np.zeros((len(rows), t), np.int64)
        mask = np.zeros((len(rows), t), np.int64)
        seg = np.zeros((len(rows), t), np.float32)
        for i, r in enumerate(rows):
            a, b = self.offsets[r], self.offsets[r + 1]
            ids[i, : b - a], mask[i, : b - a], seg[i, : b - a] = self.ids[a:b], 1, self.seg[a:b]
        owner = np.repeat(np.arange(len(groups)), [len(self.members[g]) for g in groups])

        def dev(x):
            return torch.from_numpy(np.asarray(x)).to(device)

        return {"ids": dev(ids), "mask": dev(mask), "seg": dev(seg),
                "rank": dev(np.minimum(self.rank[rows], RANK_CAP).astype(np.float32)),
                "prior": dev(self.prior[rows].astype(np.float32)),
                "label": dev(self.label[rows].astype(np.float32)), "start": dev(self.start[rows].astype(np.int64)),
                "end": dev(self.end[rows].astype(np.int64)), "owner": dev(owner)}


def batch_loss(net: CrossNet, table: torch.Tensor, b: dict, span_weight: float, amp: bool):
    with torch.autocast(b["ids"].device.type, dtype=torch.bfloat16, enabled=amp):
        rel, st, en = net(table[b["ids"]], b["mask"], b["seg"], b["rank"], b["prior"])
    rel, st, en = rel.float(), st.float(), en.float()
    label = b["label"]
    loss = nn.functional.binary_cross_entropy_with_logits(rel, label)
    n_groups = int(b["owner"].max()) + 1
    listwise = []
    for g in range(n_groups):
        m = b["owner"] == g
        r, y = rel[m], label[m]
        if y.sum() > 0:
            listwise.append(torch.logsumexp(r, 0) - torch.logsumexp(r[y > 0], 0))
    if listwise:
        loss = loss + torch.stack(listwise).mean()
    has = b["start"] >= 0
    if span_weight and has.any():
        loss = loss + span_weight * (nn.functional.cross_entropy(st[has], b["start"][has])
                                     + nn.functional.cross_entropy(en[has], b["end"][has]))
    return loss
