"""One training run of the reader that can stop at any time and go on later, in another session.

    run = Resumable(RUN_DIR, total_steps=..., every=300)

The state (weights, optimiser, learning-rate schedule, step) goes to ``RUN_DIR/checkpoint.pt``
every ``every`` seconds, when the time budget is spent and on SIGTERM or Ctrl-C; it is written
to a temporary file and renamed, so a kill leaves the last whole checkpoint. The questions of
epoch ``e`` are shuffled by ``Random(seed * 1000 + e)``, so a resumed run takes the same batches
as one that never stopped. ``progress.json`` says where the run is (step, loss, pairs a second).
"""
from __future__ import annotations

import json
import math
import os
import random
import signal
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .reader_net import CrossNet, Pairs, batch_loss

CHECKPOINT = "checkpoint.pt"


def epoch_order(groups: list[int], seed: int, epoch: int) -> list[int]:
    order = groups[:]
    random.Random(seed * 1000 + epoch).shuffle(order)
    return order


def make_net(cfg: dict, sd: dict, setting: dict, prior_features: int = 0,
             init: dict[str, np.ndarray] | None = None) -> CrossNet:
    """A ``CrossNet`` from e5-small's weights, or from ``init`` (a state dict, e.g. the shipped
    model's, :func:`training.warmstart.state_from_onnx`)."""
    torch.manual_seed(0)
    net = CrossNet(cfg, sd, setting.get("dropout", 0.0), prior_features)
    if init is not None:
        own = net.state_dict()
        net.load_state_dict({k: torch.from_numpy(np.asarray(v, np.float32)).reshape(own[k].shape)
                             for k, v in init.items()})
    return net


def optimiser(net: CrossNet, lr: float, steps: int):
    heads = list(net.relevance.parameters()) + list(net.span.parameters()) + [net.rank_weight]
    head_ids = {id(p) for p in heads}
    body = [p for p in net.parameters() if id(p) not in head_ids]
    opt = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": heads, "lr": lr * 20}], weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, (i + 1) / warm) * max(0.0, 1 - i / steps))
    return opt, sched


class Stop:
    """Set by SIGTERM / SIGINT: the loop saves and returns at the end of its step."""

    def __init__(self):
        self.asked = False

    def __call__(self, *_):
        self.asked = True


def save_checkpoint(run: Path, net, opt, sched, step: int, extra: dict) -> None:
    tmp = run / (CHECKPOINT + ".tmp")
    torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step,
                **extra}, tmp)
    os.replace(tmp, run / CHECKPOINT)


def train_resumable(net: CrossNet, words: np.ndarray, pairs: Pairs, groups: list[int], setting: dict, seed: int,
                    run: Path, device, max_seconds: float = math.inf, every: float = 300.0,
                    batch_groups: int = 16, log=print, max_steps: int = 0) -> tuple[CrossNet, bool]:
    """Train ``net`` on ``groups`` for ``setting["epochs"]`` epochs, going on from ``run``'s
    checkpoint when there is one; ``max_seconds`` and ``max_steps`` (0: no limit) end this session
    early. Returns the network and whether every step is done."""
    run.mkdir(parents=True, exist_ok=True)
    per_epoch = math.ceil(len(groups) / batch_groups)
    steps = setting["epochs"] * per_epoch
    net = net.to(device)
    opt, sched = optimiser(net, setting["lr"], steps)
    step, seen, losses = 0, 0, []
    ck = run / CHECKPOINT
    if ck.exists():
        state = torch.load(ck, map_location=device, weights_only=False)
        if state.get("steps") != steps:
            raise ValueError(f"{ck}: a run of {state.get('steps')} steps, not {steps} (other data or setting; "
                             "start in another folder)")
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step, seen = state["step"], state.get("pairs_seen", 0)
        log(f"resuming at step {step}/{steps}")
    stop = Stop()
    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    table = torch.from_numpy(words).to(device)
    amp = device.type == "cuda"
    torch.manual_seed(seed + step)
    t0 = last_save = time.time()
    last = steps if not max_steps else min(steps, step + max_steps)
    try:
        net.train()
        while step < last and not stop.asked and time.time() - t0 < max_seconds:
            epoch, i = divmod(step, per_epoch)
            chunk = epoch_order(groups, seed, epoch)[i * batch_groups:(i + 1) * batch_groups]
            b = pairs.batch(chunk, device)
            loss = batch_loss(net, table, b, setting.get("span_weight", 0.5), amp)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step, seen = step + 1, seen + len(b["label"])
            losses.append(loss.item())
            if time.time() - last_save >= every or step == steps:
                _report(run, net, opt, sched, step, steps, seen, losses, t0, log)
                last_save = time.time()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if losses and time.time() - last_save > 0.5:
        _report(run, net, opt, sched, step, steps, seen, losses, t0, log)
    return net, step >= steps


def _report(run, net, opt, sched, step, steps, seen, losses, t0, log) -> None:
    save_checkpoint(run, net, opt, sched, step, {"steps": steps, "pairs_seen": seen})
    took = time.time() - t0
    info = {"step": step, "steps": steps, "pairs_seen": seen, "loss_last_100": round(float(np.mean(losses[-100:])), 4),
            "seconds_this_session": round(took, 1), "time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}
    (run / "progress.json").write_text(json.dumps(info, indent=2) + "\n")
    log(f"step {step}/{steps} loss {info['loss_last_100']:.3f} ({took:.0f} s this session), checkpoint saved")
