"""The evaluation report: the metrics table, two plots and a Markdown page, from the JSON of a
run (:meth:`evaluation.evaluate.EvalResult.to_dict`, or a saved ``newsbot eval --out`` file); and
the machine description recorded with every result."""
from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Sequence

from .qa import QAItem

METRIC_ROWS = ["hit@1", "hit@3", "hit@5", "hit@10", "current_hit@1", "current_hit@3", "current_hit@5", "current_hit@10",
               "mrr", "answer_hit", "answer_hit_first_sentence", "short_answer_shown", "short_answer_right",
               "citation_precision", "citation_recall", "refusal_precision", "refusal_recall", "refused_answerable",
               "latency_p50_ms", "latency_p95_ms", "latency_max_ms", "errors", "n"]


def describe_machine() -> dict:
    """Cores, memory and software versions, recorded with every result."""
    mem_gb = None
    try:
        with open("/proc/meminfo") as f:
            mem_gb = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {"cpus": os.cpu_count(), "memory_gb": mem_gb, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_1m": round(os.getloadavg()[0], 2)}


def format_table(result: dict) -> str:
    """The metrics of every system as a Markdown table (one column per system)."""
    systems = result["systems"]
    failed = result.get("failed") or {}
    names = list(systems) + list(failed)
    dated = any(s["metrics"].get("dated") for s in systems.values())
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for key in METRIC_ROWS:
        if key.startswith("current_") and not dated:
            continue
        cells = []
        for name in names:
            if name in failed:
                cells.append("failed")
                continue
            v = systems[name]["metrics"].get(key)
            cells.append("n/a" if v is None else (f"{v:.3f}" if isinstance(v, float) and not key.endswith("_ms")
                                                  else f"{v}"))
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines += [f"\n{name} failed: {reason}" for name, reason in failed.items()]
    return "\n".join(lines)


def _records(result: dict, name: str) -> list[dict]:
    return result["records"] if name == "newsbot" else result["systems"][name]["records"]


def plot_hit_curves(result: dict, path: Path) -> None:
    """hit@k against k, one line per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = result["k"]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name, curve in result["hit_curves"].items():
        ax.plot(range(1, k + 1), curve, marker="o", label=name)
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("hit@k (answerable questions)")
    ax.set_xticks(range(1, k + 1))
    ax.set_title("Retrieval hit rate vs k")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latency(result: dict, path: Path) -> None:
    """Histogram of the latency per question, one outline per system, on log-spaced bins."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    lat = {name: [r["latency_ms"] for r in _records(result, name) if r["latency_ms"] is not None]
           for name in result["systems"]}
    # Log-spaced bins: systems differ by orders of magnitude (BM25 in ms, a model in tens of ms).
    lo = max(min((min(v) for v in lat.values() if v), default=0.1), 0.1)
    hi = max(max((max(v) for v in lat.values() if v), default=1.0), lo * 1.01)
    bins = [lo * (hi / lo) ** (i / 40) for i in range(41)]
    for name, values in lat.items():
        ax.hist(values, bins=bins, histtype="step", linewidth=1.5, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("latency per question (ms, log scale)")
    ax.set_ylabel("questions")
    ax.set_title("Latency per question")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _misses_table(result: dict, items: Sequence[QAItem]) -> str:
    """The first newsbot misses (no passage with the answer in the top 5), as a Markdown section."""
    questions = {it.id: it for it in items}
    misses = [r for r in result["records"] if r["answerable"] and (r["first_hit_rank"] or 99) > 5][:10]
    rows = "\n".join(f"| {r['id']} | {questions[r['id']].question} | {' / '.join(questions[r['id']].answers)} | "
                     f"{r['first_hit_rank'] or '—'} |" for r in misses if r["id"] in questions)
    if not rows:
        return ""
    return f"""
## First newsbot misses (no passage with the answer in the top 5)

| id | question | answers | first hit rank |
|---|---|---|---:|
{rows}
"""


def report_text(result: dict, qa_name: str, command: str, hit_png: str, lat_png: str,
                items: Sequence[QAItem] = ()) -> str:
    """The Markdown report: what ran where, the systems, the table, the plots and the first misses."""
    mach = result["machine"]
    descs = "\n".join(f"- **{name}** — {s['description']}"
                      + (f" (setup {s['setup_seconds']} s)" if s["setup_seconds"] else "")
                      for name, s in result["systems"].items())
    return f"""# Evaluation report: {qa_name}

Generated by `{command}` on {result['created']}.
Store: `{result['store']}` ({result['store_chunks']} chunks, {result['embedder']}); {result['n']} questions,
{result['metrics']['answerable']} answerable; k = {result['k']} passages retrieved per question. Machine: {mach['cpus']} CPUs,
{mach['memory_gb']} GB RAM, Python {mach['python']}. Metric definitions: docs/evaluation.md.
Whole run: {result['seconds']:.0f} s.

{descs}

Baselines never refuse; their answer is the sentence of their top passage sharing the most
words with the question, cited [1]. n/a = undefined (e.g. no unanswerable question, no refusal).
Latency is the wall time of each `ask` in one process on shared cores (load average
{mach.get('loadavg_1m', '?')} at the end), including any work a system does on first use (caches
filled the first time a passage is retrieved), so a second run on the same store can be faster.

{format_table(result)}

![hit rate vs k]({hit_png})

![latency histogram]({lat_png})
""" + _misses_table(result, items)


def write_report(result: dict, path: Path, qa_name: str, command: str, items: Sequence[QAItem] = ()) -> list[Path]:
    """A Markdown report at ``path`` with the table and two PNG plots beside it; returns the files
    written. ``items`` (the questions asked) name the first misses."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    hit_png = path.with_name(f"{path.stem}-hit-at-k.png")
    lat_png = path.with_name(f"{path.stem}-latency.png")
    plot_hit_curves(result, hit_png)
    plot_latency(result, lat_png)
    path.write_text(report_text(result, qa_name, command, hit_png.name, lat_png.name, items), encoding="utf-8")
    return [path, hit_png, lat_png]
