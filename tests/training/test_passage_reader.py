"""``python -m training.passage_reader``: the passage-level reader measured against the sentence
reader (docs/answers.md). Here: its labelling, its packing at passage length, a one-layer run
end to end on passages of the sample articles, what its reading gives, the questions a run left
out, and the switch between the two readers. Quality is measured in docs/answers.md, not here."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from bot.answer_types import Passage
from bot.reader import Reader
from bot.reader_encoding import MAX_SENTENCE_TOKENS, PASSAGE_TOKENS, encode_pair
from ingest.e5file import E5File
from training import passage_reader as pr
from training.paragraph_examples import windows

ROOT = Path(__file__).resolve().parents[2]


def test_a_passage_is_positive_at_the_annotated_offset_else_at_the_first_occurrence():
    text = "Paris est loin. Il a vu Paris hier."
    assert pr._positive(text, ["Paris"], at=24) == (1, [24, 29])       # the annotator's occurrence
    assert pr._positive(text, ["Paris"], at=3) == (1, [0, 5])          # a wrong offset: the first one
    assert pr._positive(text, ["Lyon"]) == (0, None)


def test_a_group_keeps_the_first_positive_where_it_was_and_at_most_three_passages():
    cands = [{"text": t, "label": int(t == "yes"), "span": None} for t in ("a", "b", "c", "yes", "d")]
    group = pr._group("q", "piaf-fr", "id", ["x"], cands)
    assert [c["text"] for c in group["cands"]] == ["a", "b", "yes"]
    assert pr._group("q", "piaf-fr", "id", ["x"], cands[:3]) is None    # no positive: no example
    cands[0]["label"] = 1
    assert [c["text"] for c in pr._group("q", "s", "id", ["x"], cands)["cands"]] == ["a", "b", "c"]


def test_the_threshold_curve_is_the_largest_share_shown_at_each_precision():
    scored = [(9.0, True), (8.0, True), (7.0, False), (6.0, True), (5.0, False), (1.0, False)]
    curve = pr.threshold_curve(scored, precisions=(0.75, 0.6, 1.0))
    assert curve == {"shown_at_0.75": round(4 / 6, 4), "shown_at_0.6": round(5 / 6, 4), "shown_at_1.0": round(2 / 6, 4)}


def test_a_passage_is_read_past_the_sentence_limit():
    tok = E5File.shared().tokenizer
    text = " ".join(f"mot{i}" for i in range(300))
    sentence = encode_pair(tok, "question ?", text)
    passage = encode_pair(tok, "question ?", text, max_tokens=PASSAGE_TOKENS)
    assert len(sentence.ids) <= MAX_SENTENCE_TOKENS + 48 < len(passage.ids) <= PASSAGE_TOKENS + 48
    assert len(passage.spans) > len(sentence.spans)


def _sample_examples() -> list[dict]:
    articles = {json.loads(x)["id"]: json.loads(x) for x in open(ROOT / "samples" / "articles.jsonl", encoding="utf-8")}
    out = []
    for q in (json.loads(x) for x in open(ROOT / "training" / "smoke" / "questions.jsonl", encoding="utf-8")):
        text = articles[q["article_id"]]["text"]
        cands = []
        for a, b in windows(text, 600)[:3]:
            label, span = pr._positive(text[a:b], q["answers"])
            cands.append({"text": text[a:b], "label": label, "span": span})
        g = pr._group(q["question"], "piaf-fr", q["id"], q["answers"], cands)
        if g:
            out.append(g)
    return out


def test_a_one_layer_run_packs_trains_and_exports_a_reader_of_passages(tmp_path):
    work = tmp_path / "work"
    (work / "examples").mkdir(parents=True)
    examples = _sample_examples()
    assert len(examples) >= 3
    (work / "examples" / "piaf-fr.json").write_text(json.dumps(examples))
    pr.main(["train", "--work", str(work), "--sources", "piaf-fr", "--init", "e5", "--layers", "1",
             "--batch-questions", "8", "--every", "0"])
    packed = json.loads((work / "packed" / "packed.json").read_text())
    assert packed["questions"] == len(examples) and packed["pairs"] == sum(len(e["cands"]) for e in examples)
    pairs = np.load(work / "packed" / "pairs.npz")
    assert int(np.diff(pairs["offsets"]).max()) > MAX_SENTENCE_TOKENS    # whole passages, not sentences
    assert (pairs["start"][pairs["label"] == 1] >= 0).all()              # every positive teaches the span head
    info = json.loads((work / "model" / "reader.json").read_text())
    assert info["inputs"]["unit"] == "passage" and info["inputs"]["max_tokens"] == PASSAGE_TOKENS
    reader = Reader(work / "model")
    assert reader.max_tokens == PASSAGE_TOKENS
    passages = [Passage(chunk_id=f"c{i}", text=e["cands"][0]["text"], metadata={}) for i, e in enumerate(examples[:2])]
    reads = pr.read_passages(reader, examples[0]["question"], passages)
    alone = pr.read_passages(reader, examples[0]["question"], passages[:1])
    assert reads[0] == alone[0]                                          # one passage per call
    for r, p in zip(reads, passages):
        assert math.isfinite(r["rel"]) and r["sentence"] in p.text and r["short"] in p.text


def test_left_out_questions_are_those_of_the_source_the_run_drew_none_of(tmp_path):
    import random

    work = tmp_path / "work"
    for d in ("examples", "packed", "run"):
        (work / d).mkdir(parents=True)
    sources = ["piaf-fr"] * 3 + ["piaf-extra"] * 5 + ["xquad"] * 4
    np.savez(work / "packed" / "pairs.npz", group_source=np.array(sources))
    rows = [{"id": f"x{i}", "question": f"q{i} ?", "answers": [f"a{i}"], "cands": []} for i in range(5)]
    (work / "examples" / "piaf-extra.json").write_text(json.dumps(rows))
    (work / "run" / "train.json").write_text(json.dumps({"questions": 6, "seed": 13}))
    trained = set(random.Random(13).sample(range(len(sources)), 6))
    out = pr.left_out(work, "piaf-extra")
    assert [r["id"] for r in out] == [f"x{g - 3}" for g in range(3, 8) if g not in trained]
    assert out and all(set(r) == {"id", "question", "answers"} for r in out)
    (work / "examples" / "piaf-extra.json").write_text(json.dumps(rows[:4]))  # not the packed questions
    try:
        pr.left_out(work, "piaf-extra")
        raise AssertionError("a misaligned examples file was read")
    except SystemExit as err:
        assert "not the examples file's" in str(err)


def _record(confidence: float, sentence_right: bool, passage_right: bool, rel: float) -> dict:
    return {"sentence": {"confidence": confidence, "first": sentence_right},
            "relevance": {"rel": rel, "span_score": 5.0, "first": passage_right}}


def test_the_switch_learns_to_lead_with_the_passage_reader_where_the_sentence_reader_is_unsure():
    rng = np.random.default_rng(0)

    def records(n: int) -> list[dict]:
        out = []
        for _ in range(n):
            c = float(rng.uniform(0, 10))
            out.append(_record(c, sentence_right=c > 4, passage_right=c <= 4 or c > 8, rel=float(rng.normal())))
        return out

    switch = pr.fit_switch(records(300))
    assert 3 < switch["confidence_below"] <= 4.5 and switch["disagreements"] > 0
    result = pr.apply_switch(switch, records(300))
    assert result["oracle"] == 1.0 and result["switch"] >= 0.97 and result["switch_on_confidence"] >= 0.97
    assert result["sentence_reader"] < 0.7 and result["passage_reader"] < 0.7
    assert 0.3 < result["passage_reader_runs"] < 0.5
