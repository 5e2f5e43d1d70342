"""Read a shipped ``cross.onnx`` back into the training network's weights, to train on from it.

The reader ships only its int8 ONNX file (the float weights of its run are not kept). Every
int8 product there holds its weight as ``(quantized - zero_point) * scale`` per output channel,
which this module undoes; the float products (the feed-forward outputs), the biases, LayerNorms,
positions and the rank weight are stored as they were. What comes back differs from the
trained weights by the int8 rounding of the weights alone (half a step per weight), so training
can go on from the shipped model instead of from e5-small (``python -m training.train --init
bot/models/reader/cross.onnx``). The shipped file was exported with the network wrapped
(names ``net.…`` and ``/net/…``); ``training.reader_export`` now exports it bare: both read back.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

_QUANT = re.compile(r"^(?:/net)?/(?P<path>.+?)/(?:Gemm_)?MatMul_quant$")
_FLOAT = re.compile(r"^(?:/net)?/(?P<path>.+?)/MatMul$")
_PARAM = re.compile(r"^(?:net\.)?(?P<name>[A-Za-z_][\w.]*)$")  # not the exporter's ``onnx::…`` constants


def _param(path: str) -> str:
    """``blocks.0/q`` → ``blocks.0.q.weight``; ``relevance/relevance.0`` → ``relevance.0.weight``."""
    parts = path.split("/")
    if parts[0] == "relevance":
        parts = parts[1:]
    return ".".join(parts) + ".weight"


def state_from_onnx(path: Path | str) -> dict[str, np.ndarray]:
    """The float32 state dict (``CrossNet`` names) of an exported reader model."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    scales = {}
    for node in model.graph.node:
        if node.op_type == "Mul" and node.name.endswith("_quant_scales_mul"):
            scales[node.name.removesuffix("_scales_mul")] = init[node.input[1]]
    out = {m["name"]: v.astype(np.float32) for k, v in init.items()
           if (m := _PARAM.match(k)) and not re.search(r"_(quantized|zero_point|scale)$", k)}
    for node in model.graph.node:
        m = _QUANT.match(node.name)
        if node.op_type == "MatMulInteger" and m:
            q = init[node.input[1]].astype(np.float32)
            zero = init[node.input[3]].astype(np.float32)
            w = (q - zero) * scales[node.name].astype(np.float32)
            out[_param(m["path"])] = np.ascontiguousarray(w.T)
            continue
        m = _FLOAT.match(node.name)
        if node.op_type == "MatMul" and m and node.input[1] in init:
            out[_param(m["path"])] = np.ascontiguousarray(init[node.input[1]].astype(np.float32).T)
    if "rank_weight" not in out or not any(k.endswith(".q.weight") for k in out):
        raise ValueError(f"{path}: no reader weights found (not a cross.onnx exported by training.reader_export?)")
    out["rank_weight"] = out["rank_weight"].reshape(())
    return out


def e5_names(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The embedding and block weights of a ``CrossNet`` state under e5's names (``pos``, ``type``,
    ``emb_ln.w``, ``l0.q.w`` …), what ``CrossNet`` is built from: a run that goes on from an
    exported model needs no e5 weights beside it (the word table apart)."""
    out = {"pos": state["pos"], "type": state["type_vec"], "emb_ln.w": state["emb_ln.weight"],
           "emb_ln.b": state["emb_ln.bias"]}
    for key, value in state.items():
        m = re.match(r"^blocks\.(\d+)\.(\w+)\.(weight|bias)$", key)
        if m:
            out[f"l{m[1]}.{m[2]}.{m[3][0]}"] = value
    return out
