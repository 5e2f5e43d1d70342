"""Weight averages of reader runs: the mean is exact, ingredients that do not match are refused, and
a soup written as a run folder reads back as the run it is."""
from __future__ import annotations

import json

import pytest
import torch

from bot.reader import MODEL_DIR
from training import soup


def test_the_weighted_mean_of_matching_states():
    a = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor(0.0)}
    b = {"w": torch.tensor([5.0, 6.0]), "b": torch.tensor(4.0)}
    m = soup.mean_state([a, b], [1.0, 3.0])
    assert torch.allclose(m["w"], torch.tensor([4.0, 5.0])) and float(m["b"]) == 3.0
    assert torch.allclose(soup.mean_state([a, b], [1.0, 1.0])["w"], torch.tensor([3.0, 4.0]))


def test_ingredients_that_do_not_match_are_refused():
    a = {"w": torch.zeros(2), "b": torch.zeros(())}
    with pytest.raises(ValueError, match="other tensors"):
        soup.mean_state([a, {"w": torch.zeros(2)}], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"\(3,\)"):
        soup.mean_state([a, {"w": torch.zeros(3), "b": torch.zeros(())}], [1.0, 1.0])
    with pytest.raises(ValueError, match="one weight per ingredient"):
        soup.mean_state([a], [1.0, 1.0])


def test_a_soup_of_the_shipped_model_with_itself_reads_back_as_the_shipped_model(tmp_path):
    onnx = MODEL_DIR / "cross.onnx"
    shipped, _ = soup.ingredient(onnx)
    record = soup.main([str(onnx), str(onnx), "--weights", "1,2", "--out", str(tmp_path / "s"), "--no-export"])
    assert record["soup"] == [{"ingredient": str(onnx), "weight": 1.0}, {"ingredient": str(onnx), "weight": 2.0}]
    back, info = soup.ingredient(tmp_path / "s" / "run")
    assert info["files"] and json.loads((tmp_path / "s" / "run" / "train.json").read_text())["soup"]
    assert set(back) == set(shipped)
    for k in shipped:         # stored as float16, like every run
        assert torch.allclose(back[k], shipped[k].half().float(), atol=1e-6), k
