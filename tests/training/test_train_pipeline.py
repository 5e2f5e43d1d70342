"""``python -m training.train --smoke``: the whole rebuild of the reader (examples, packing, training
that stops and resumes from its checkpoint, ONNX export, short-answer threshold) on the six
questions of training/smoke/ about the sample articles, with a one-layer network. Quality is
measured in docs/answers.md, not here."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from bot.reader import Reader
from training import train
from training.paragraph_examples import windows, xquad_pairings
from training.resumable_run import CHECKPOINT, epoch_order
from training.shortfit import fit
from training.warmstart import state_from_onnx


def test_smoke_run_stops_resumes_exports_and_calibrates(tmp_path):
    work = tmp_path / "work"
    assert train.main(["--smoke", "--work", str(work)]) is None          # stopped after step 1 of 2
    state = torch.load(work / "run" / CHECKPOINT, weights_only=False)
    assert state["step"] == 1 and state["steps"] == 2
    progress = json.loads((work / "run" / "progress.json").read_text())
    assert progress["step"] == 1 and progress["pairs_seen"] > 0
    examples = json.loads((work / "examples" / "smoke.json").read_text())
    assert len(examples) == 6 and all(any(c["label"] for c in ex["cands"]) for ex in examples)
    partial = train.main(["--smoke", "--work", str(work), "--export-checkpoint", "--out", str(tmp_path / "partial")])
    assert partial["training"]["final"]["train_on"] == "step 1 of 2 (checkpoint)" and Reader.available(tmp_path / "partial")
    info = train.main(["--smoke", "--work", str(work)])                  # goes on from the checkpoint
    assert "resuming at step 1/2" in (work / "train.log").read_text()
    assert torch.load(work / "run" / CHECKPOINT, weights_only=False)["step"] == 2
    model = work / "model"
    assert info["training"]["final"]["train_on"] == "all training questions"
    assert info["data"]["questions"] == 6 and "short_answer" in info
    reader = Reader(model)
    sentence = "Donald Trump avait lui-même annoncé l'appel sur son réseau Truth Social."
    one = reader.read("Where did Trump announce the call?", [sentence])[0]
    again = reader.read("Where did Trump announce the call?", ["Autre chose.", sentence])[1]
    assert one == again and math.isfinite(one.score)      # one pair per call: the same reading beside another
    # what today's export writes reads back for a run to go on from (--init), every weight of it
    state = state_from_onnx(model / "cross.onnx")
    trained = torch.load(work / "run" / CHECKPOINT, weights_only=False)["net"]
    assert set(state) == set(trained)
    assert all(np.allclose(state[k], trained[k].numpy(), atol=0.05) for k in state)   # int8 rounding of weights


def test_a_file_without_reader_weights_is_refused_as_a_starting_point(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    onnx.save(helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])),
              tmp_path / "other.onnx")
    with pytest.raises(ValueError, match="no reader weights found"):      # not silently e5-small
        state_from_onnx(tmp_path / "other.onnx")


def test_a_checkpoint_of_another_run_is_refused(tmp_path):
    work = tmp_path / "work"
    train.main(["--smoke", "--work", str(work)])                         # a run of 2 steps, stopped at 1
    with pytest.raises(ValueError, match="a run of 2 steps, not 6"):     # batches of 2: 3 steps an epoch
        train.main(["--smoke", "--work", str(work), "--batch-questions", "2"])


def test_resumed_epochs_take_the_same_batches():
    assert epoch_order(list(range(20)), 13, 2) == epoch_order(list(range(20)), 13, 2)
    assert epoch_order(list(range(20)), 13, 2) != epoch_order(list(range(20)), 13, 3)


def test_xquad_pairs_a_question_with_a_paragraph_in_another_language():
    pairs = xquad_pairings([f"q{i}" for i in range(50)], ("en", "es", "de"), 2, 0)
    assert len(pairs) == 100
    assert all((q == "en") != (p == "en") for _id, q, p in pairs)        # always across languages
    assert {q for _id, q, _p in pairs} == {"en", "es", "de"}


def test_articles_are_cut_into_store_sized_passages_at_sentence_ends():
    text = " ".join(f"Phrase numéro {i} de l'article." for i in range(200))
    cuts = windows(text, 500)
    assert cuts[0][0] == 0 and cuts[-1][1] == len(text) and len(cuts) > 5
    assert all(b - a <= 530 and text[b - 1] == "." for a, b in cuts)
    assert all(cuts[i][1] == cuts[i + 1][0] for i in range(len(cuts) - 1))


def test_the_short_answer_threshold_is_the_lowest_with_precision_at_least_0_8():
    obs = [(5.0, True, "a"), (4.0, True, "a"), (3.0, False, "a"), (2.5, True, "a"), (2.0, True, "b"),
           (1.0, False, "b"), (0.5, False, "b"), (-math.inf, False, "b")]
    rule = fit(obs, 0.8, min_shown=2)
    assert rule["min_span_score"] == 2.0 and rule["precision"] == 0.8 and rule["shown"] == 5 / 8
    assert math.isinf(fit(obs, 0.99, min_shown=3)["min_span_score"])
    assert np.isclose(fit(obs, 0.5, min_shown=2)["shown"], 7 / 8)          # 4 right of the 7 with a span
