"""A weight average ("model soup") of reader runs that share one starting point.

Runs fine-tuned from the same model on different data end in one basin, where the mean of their
weights reads at least as well as its parts and often better, for the cost of one model. Each
ingredient is a run folder (``train.json`` and its state files) or an exported ``cross.onnx``
(read back by ``training.warmstart``). The mean is written as a run folder, then exported like a
trained run::

    python -m training.soup --out reader-work/soup reader-work/abl-old/run reader-work/abl-new2/run
    python -m training.soup --out reader-work/soup --weights 1,1,2 A/run B/run bot/models/reader/cross.onnx
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def ingredient(path: Path) -> tuple[dict, dict]:
    """The float32 state of a run folder or a ``cross.onnx``, and what the run recorded of itself."""
    import torch

    if path.is_dir():
        from .reader_export import run_state

        info = json.loads((path / "train.json").read_text())
        return run_state(path, info), info
    from .warmstart import state_from_onnx

    return {k: torch.from_numpy(v.copy()) for k, v in state_from_onnx(path).items()}, {"init": str(path)}


def mean_state(states: list[dict], weights: list[float]) -> dict:
    """The weighted mean of states that hold the same tensors (the same names and shapes)."""
    if len(states) != len(weights) or not states:
        raise ValueError("one weight per ingredient, and at least one ingredient")
    names = set(states[0])
    for i, s in enumerate(states[1:], 1):
        if set(s) != names:
            diff = sorted(names ^ set(s))[:5]
            raise ValueError(f"ingredient {i} holds other tensors than ingredient 0 (e.g. {diff})")
        for k in names:
            if s[k].shape != states[0][k].shape:
                raise ValueError(f"ingredient {i}: {k} is {tuple(s[k].shape)}, not {tuple(states[0][k].shape)}")
    total = float(sum(weights))
    return {k: sum(w * s[k] for w, s in zip(weights, states)) / total for k in sorted(names)}


def write_run(state: dict, out: Path, record: dict) -> Path:
    """``state`` as a run folder that ``training.reader_export`` reads."""
    import torch

    from .reader_training import save_tensors

    run = out / "run"
    run.mkdir(parents=True, exist_ok=True)
    for old in run.glob("cross-*.pt"):
        old.unlink()
    record = dict(record, files=save_tensors(state, run), torch=torch.__version__)
    (run / "train.json").write_text(json.dumps(record, indent=2) + "\n")
    return run


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ingredients", nargs="+", help="run folders or exported cross.onnx files")
    ap.add_argument("--weights", default="", help="comma-separated, one per ingredient (default: equal)")
    ap.add_argument("--out", required=True, help="the soup's folder: run/ and model/ go in it")
    ap.add_argument("--no-export", action="store_true", help="write the run folder only")
    args = ap.parse_args(argv)
    paths = [Path(p) for p in args.ingredients]
    weights = [float(w) for w in args.weights.split(",")] if args.weights else [1.0] * len(paths)
    loaded = [ingredient(p) for p in paths]
    state = mean_state([s for s, _ in loaded], weights)
    first = next((info for _, info in loaded if "files" in info), {})
    record = {"device": "cpu", "seed": first.get("seed"), "context": first.get("context", ""),
              "prior_features": first.get("prior_features", 0), "layers": first.get("layers"),
              "final": {"setting": "weight average", "train_on": "the ingredients' data"},
              "soup": [{"ingredient": str(p), "weight": w} for p, w in zip(paths, weights)]}
    out = Path(args.out)
    run = write_run(state, out, record)
    if args.no_export:
        return record
    from ingest.e5file import E5File

    from . import reader_export

    meta = reader_export.export(run, out / "model", E5File.shared(), {"soup": record["soup"]})
    print(json.dumps({"model": str(out / "model"), "onnx_bytes": meta["onnx_bytes"], "soup": record["soup"]}))
    return meta


if __name__ == "__main__":
    main()
