"""The reader's GPU path, end to end on the CPU: pack here (``training.train --pack-only``), train
with ``training/device_train.sh`` as a lent machine would (torch and numpy, the packed folder
carried, the weights written under ``$OUT``), then export and calibrate here with the same
``training.train`` command. The six smoke questions, a sweep cut to one setting by its budget; the
weights read back from the shipped ``cross.onnx`` are checked in ``test_warmstart.py``."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.reader import Reader
from training import train

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "training" / "device_train.sh"


def device_env(out: Path) -> dict:
    return dict(os.environ, OUT=str(out), DEVICE="cpu", BUDGET="1", PYTHON=sys.executable)


def test_packed_here_trained_by_the_device_script_exported_here(tmp_path):
    work = tmp_path / "work"
    assert train.main(["--smoke", "--work", str(work), "--pack-only"]) is None
    assert not (work / "run").exists() and "stopping there (--pack-only)" in (work / "train.log").read_text()
    device = work / "device"                                  # what travels: no e5 blocks, the word table kept
    assert sorted(p.name for p in device.iterdir()) == ["packed.json", "pairs.npz", "weights.npz"]
    slim, whole = np.load(device / "weights.npz"), np.load(work / "packed" / "weights.npz")
    assert "words" in slim.files and not any(k.startswith("l0.") for k in slim.files)
    assert any(k.startswith("l0.") for k in whole.files)
    assert (device / "weights.npz").stat().st_size < (work / "packed" / "weights.npz").stat().st_size / 2

    out = tmp_path / "out"
    done = subprocess.run(["bash", str(SCRIPT), str(device)], env=device_env(out),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads((out / "run" / "train.json").read_text())
    assert record["device"] == "cpu" and record["questions"] == 6
    assert record["init"] == "bot/models/reader/cross.onnx"        # it went on from the shipped model
    parts = sorted(p.name for p in (out / "run").glob("cross-*.pt"))
    assert parts == record["files"] and len(parts) == 4
    assert all((out / "run" / p).stat().st_size < 16 * 2**20 for p in parts)   # each part comes back alone

    shutil.copytree(out / "run", work / "run")                # what comes back, put where the run goes
    info = train.main(["--smoke", "--work", str(work)])
    assert info["training"]["device"] == "cpu" and info["training"]["init"] == "bot/models/reader/cross.onnx"
    assert info["data"]["questions"] == 6 and "short_answer" in info
    reading = Reader(work / "model").read("Where did Trump announce the call?",
                                          ["Donald Trump avait lui-même annoncé l'appel sur son réseau Truth Social."])
    assert len(reading) == 1


def test_the_device_script_without_packed_pairs_says_what_to_do(tmp_path):
    done = subprocess.run(["bash", str(SCRIPT), str(tmp_path / "nothing")], env=device_env(tmp_path / "out"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no packed pairs" in done.stderr and "--pack-only" in done.stderr
    assert not (tmp_path / "out").exists()
