"""Going on from the shipped reader: its int8 ONNX file read back into the training network gives
the shipped model's readings (within int8 rounding of the activations), so training resumes from
it rather than from e5-small."""
from __future__ import annotations

import numpy as np
import torch

from bot.reader import MODEL_DIR, Reader
from bot.reader_encoding import encode_pair
from ingest.e5file import E5File
from training import train
from training.reader_net import load_weights
from training.reader_pairs import slim_weights
from training.reader_training import start_net
from training.resumable_run import make_net
from training.warmstart import e5_names, state_from_onnx

PAIRS = [("When did Trump and Putin last speak?", "Les présidents ont eu un entretien téléphonique le jeudi 3 juillet 2025."),
         ("Where was the new pope born?", "Born in Chicago in 1955, he is the first pope from the United States."),
         ("Qui a allumé la vasque olympique ?", "The Olympic cauldron was lit in the Tuileries Garden.")]


def test_the_shipped_model_read_back_reads_as_the_shipped_model():
    e5 = E5File.shared()
    c = e5.config
    cfg = {"hidden": c.hidden, "layers": c.layers, "heads": c.heads, "ffn": c.ffn, "eps": c.eps}
    state = state_from_onnx(MODEL_DIR / "cross.onnx")
    net = make_net(cfg, e5.state_dict(), {"dropout": 0.0}, 0, state).eval()
    assert set(state) == set(net.state_dict()) and state["blocks.11.fo.weight"].shape == (384, 1536)
    reader = Reader()
    for q, s in PAIRS:
        p = encode_pair(e5.tokenizer, q, s)
        ids = np.asarray([p.ids])
        with torch.no_grad():
            rel, start, end = net(torch.from_numpy(e5.word_vectors(ids)), torch.ones(1, len(p.ids), dtype=torch.long),
                                  torch.tensor([p.seg]), torch.zeros(1))
        shipped = reader.read(q, [s])[0]
        assert abs(float(rel[0]) - shipped.score) < 2.0       # int8 activations: logits within its error
    fresh = make_net(cfg, e5.state_dict(), {"dropout": 0.0}).state_dict()
    assert not torch.equal(fresh["relevance.0.weight"], net.state_dict()["relevance.0.weight"])


def test_a_run_on_the_slim_weights_starts_from_the_shipped_model_heads_included(tmp_path):
    """What a lent machine builds (``reader_training --init`` over weights without e5's blocks) is the
    network that ``make_net`` builds from e5 and the same state: every weight the shipped model's."""
    work = tmp_path / "work"
    train.main(["--smoke", "--work", str(work), "--pack-only"])
    slim = tmp_path / "slim.npz"
    slim_weights(work / "packed" / "weights.npz", slim)
    cfg, sd, _words = load_weights(slim)
    assert not any(k.startswith("l0.") for k in sd)          # nothing of e5's blocks travels
    state = state_from_onnx(MODEL_DIR / "cross.onnx")
    net = start_net(cfg, {**sd, **e5_names(state), **state})
    e5 = E5File.shared()
    ref = make_net(cfg, e5.state_dict(), {"dropout": 0.0}, 0, state)
    got, want = net.state_dict(), ref.state_dict()
    assert set(got) == set(want)
    assert all(torch.equal(got[k], want[k]) for k in want)
    assert float(got["rank_weight"]) == float(state["rank_weight"]) != -1.0    # the heads too, not fresh ones
