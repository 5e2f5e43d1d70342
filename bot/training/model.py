"""The reader network: e5's lower layers read the question and the sentence apart, its last
layers read them together, and two heads score the pair and point at the answer span.

The split follows the "precomputed term representations" design of late-joining rerankers:
the lower ``split`` layers (frozen, exactly multilingual-e5-small) encode ``query: <question>``
and ``passage: <sentence>`` separately; the remaining layers (initialised from e5's, fine-tuned)
run over the two token sequences concatenated, so every question token attends to every
sentence token. Training then only back-propagates through the joint layers, and the lower
layers' output of each text is computed once (``bottom``) and reused across epochs and pairs.
"""
from __future__ import annotations

import torch
from torch import nn

from ingest.e5file import E5File

from .encoder import Encoder


class ReaderNet(nn.Module):
    def __init__(self, e5: E5File, split: int = 10):
        super().__init__()
        enc = Encoder(e5)
        self.split = split
        self.encoder = enc
        for p in enc.parameters():
            p.requires_grad_(False)
        self.top = nn.ModuleList(enc.blocks[split:])
        for p in self.top.parameters():
            p.requires_grad_(True)
        h = e5.config.hidden
        self.relevance = nn.Sequential(nn.Linear(2 * h, h), nn.GELU(), nn.Linear(h, 1))
        # The first pass's order as a prior: logit += rank_weight * log(1 + rank). Starting below
        # zero, the network first reproduces the hand-weighted order and learns what to change.
        self.rank_weight = nn.Parameter(torch.tensor(-1.5))
        self.span = nn.Linear(h, 2)

    def bottom(self, words: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Lower-layer states of word vectors [b, t, h] (mask [b, t])."""
        enc = self.encoder
        x = enc.emb_ln(words + enc.pos[: words.shape[1]] + enc.type_vec)
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * -1e4
        for blk in enc.blocks[: self.split]:
            x = blk(x, bias)
        return x

    def forward(self, q: torch.Tensor, q_mask: torch.Tensor, s: torch.Tensor, s_mask: torch.Tensor,
                rank: torch.Tensor):
        """Pairs of lower-layer states -> (relevance [b], start logits [b, ts], end logits [b, ts]).

        ``q`` [b, tq, h] and ``s`` [b, ts, h]; ``rank`` [b]: the sentence's rank in the first
        pass (0 = best); the span logits are over the sentence's tokens (padding at -1e4)."""
        x = torch.cat([q, s], dim=1)
        mask = torch.cat([q_mask, s_mask], dim=1).to(x.dtype)
        bias = (1.0 - mask[:, None, None, :]) * -1e4
        for blk in self.top:
            x = blk(x, bias)
        tq = q.shape[1]
        qx, sx = x[:, :tq], x[:, tq:]
        sm = s_mask.to(x.dtype)[..., None]
        pooled = torch.cat([qx[:, 0], (sx * sm).sum(1) / sm.sum(1).clamp(min=1.0)], dim=-1)
        rel = self.relevance(pooled).squeeze(-1) + self.rank_weight * torch.log1p(rank.to(x.dtype))
        span = self.span(sx) + (1.0 - sm) * -1e4
        return rel, span[..., 0], span[..., 1]


class Bottom(nn.Module):
    """Export wrapper: word vectors and mask -> lower-layer states."""

    def __init__(self, net: ReaderNet):
        super().__init__()
        self.net = net

    def forward(self, words, mask):
        return self.net.bottom(words, mask)


class Top(nn.Module):
    """Export wrapper: question and sentence states -> relevance and span logits."""

    def __init__(self, net: ReaderNet):
        super().__init__()
        self.net = net

    def forward(self, q, q_mask, s, s_mask, rank):
        return self.net(q, q_mask, s, s_mask, rank)
