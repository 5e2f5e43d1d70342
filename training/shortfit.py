"""Fit the threshold above which the reader's short answer is shown, for a precision of 0.8.

    python -m training.shortfit --examples reader-work/examples/piaf-extra.json,reader-work/examples/rtqa.json \
        [--model bot/models/reader] [--min-precision 0.8] [--limit 600] [--write]

For each training question the reader reads its first ``shortlist`` candidates (the scorer's
order, as the bot does), the best-scored one leads, and its span gives the short answer
(:func:`bot.reader_encoding.short_of`). A short answer is right when its token F1 with a gold answer is
at least 0.5 after SQuAD's normalisation (:func:`evaluation.metrics.short_answer_right`). The
threshold is the lowest span score above which the shown short answers are right at least
``min_precision`` of the time (at least ``min_shown`` of them); ``--write`` stores it in the
model's ``reader.json`` (``short_answer``), which :class:`bot.reading_answerer.ReadingAnswerer` reads.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from bot.reader import MODEL_DIR, Reader
from bot.reader_encoding import compose_context, short_of
from evaluation.metrics import short_answer_right


def gold_answers(example: dict) -> list[str]:
    """The question's answer strings; for examples built before they were recorded, the answer
    spans of its positive candidates."""
    if example.get("answers"):
        return list(example["answers"])
    return sorted({c["text"][c["span"][0]:c["span"][1]] for c in example["cands"] if c.get("span")})


def observations(reader: Reader, examples: list[dict], shortlist: int = 6) -> list[tuple[float, bool, str]]:
    """``(span score, right, source)`` per question: the leading sentence's span score and whether
    its short answer is right (``-inf`` and False when it gives none)."""
    out = []
    for ex in examples:
        cands = ex["cands"][:shortlist]
        texts = [c["text"] for c in cands]
        contexts = [compose_context(c.get("title", ""), c.get("prev", ""), reader.context) for c in cands]
        readings = reader.read(ex["question"], texts, list(range(len(texts))), contexts,
                               [c.get("score", 0.0) for c in cands])
        best = max(range(len(readings)), key=lambda i: readings[i].score)
        short = short_of(texts[best], readings[best].span)
        if not short:
            out.append((-math.inf, False, ex["source"]))
            continue
        out.append((readings[best].span_score, short_answer_right(short, gold_answers(ex)), ex["source"]))
    return out


def fit(obs: list[tuple[float, bool, str]], min_precision: float = 0.8, min_shown: int = 20) -> dict:
    """The lowest threshold whose shown short answers reach ``min_precision`` (the most shown)."""
    ranked = sorted((o for o in obs if o[0] > -math.inf), key=lambda o: -o[0])
    best, right = None, 0
    for i, (score, ok, _src) in enumerate(ranked, 1):
        right += ok
        if i >= min_shown and right / i >= min_precision:
            best = (score, i, right)
    if best is None:
        return {"min_span_score": math.inf, "questions": len(obs), "shown": 0.0, "precision": None,
                "note": f"no threshold reaches a precision of {min_precision} on {min_shown} or more"}
    score, shown, right = best
    return {"min_span_score": round(float(score), 4), "questions": len(obs), "shown": round(shown / len(obs), 4),
            "precision": round(right / shown, 4), "min_precision": min_precision}


def by_source(obs: list[tuple[float, bool, str]], threshold: float) -> dict:
    out = {}
    for src in sorted({o[2] for o in obs}):
        rows = [o for o in obs if o[2] == src]
        shown = [o for o in rows if o[0] >= threshold]
        out[src] = {"questions": len(rows), "shown": round(len(shown) / len(rows), 4),
                    "precision": round(sum(o[1] for o in shown) / len(shown), 4) if shown else None}
    return out


def fit_model(model_dir: Path, examples: list[dict], min_precision: float = 0.8, write: bool = False,
              min_shown: int = 20, observations_to: Path | None = None, obs: list | None = None) -> dict:
    """Fit on ``examples`` read by the model of ``model_dir`` (or on ``obs`` already made), and
    with ``write`` store the rule in its ``reader.json``."""
    if obs is None:
        obs = observations(Reader(model_dir), examples)
    if observations_to:
        observations_to.write_text(json.dumps([[None if math.isinf(a) else a, b, c] for a, b, c in obs]))
    rule = fit(obs, min_precision, min_shown)
    rule["by_source"] = by_source(obs, rule["min_span_score"])
    rule["data"] = sorted({o[2] for o in obs})
    if write:
        path = Path(model_dir) / "reader.json"
        info = json.loads(path.read_text())
        info["short_answer"] = {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in rule.items()}
        if math.isinf(rule["min_span_score"]):
            info["short_answer"].pop("min_span_score")
        path.write_text(json.dumps(info, indent=2) + "\n")
    return rule


def spread(examples: list[dict], limit: int) -> list[dict]:
    """At most ``limit`` examples, taken evenly from each source."""
    if not limit or len(examples) <= limit:
        return examples
    sources = sorted({ex["source"] for ex in examples})
    per = max(1, limit // len(sources))
    out = []
    for src in sources:
        rows = [ex for ex in examples if ex["source"] == src]
        step = max(1, len(rows) // per)
        out += rows[::step][:per]
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", default="", help="comma-separated example files (JSON lists, as training.train "
                    "caches them)")
    ap.add_argument("--from-observations", default="", help="fit on the observations an earlier run wrote "
                    "(--observations) instead of reading examples")
    ap.add_argument("--sources", default="", help="comma-separated sources to fit on (default: all)")
    ap.add_argument("--model", default=str(MODEL_DIR))
    ap.add_argument("--min-precision", type=float, default=0.8)
    ap.add_argument("--limit", type=int, default=600, help="at most this many questions, evenly from each source")
    ap.add_argument("--write", action="store_true", help="store the threshold in the model's reader.json")
    ap.add_argument("--observations", default="", help="also write each question's (span score, right, source) "
                    "to this JSON file")
    args = ap.parse_args(argv)
    if not args.examples and not args.from_observations:
        ap.error("give --examples or --from-observations")
    keep = set(filter(None, args.sources.split(",")))
    obs, examples = None, []
    if args.from_observations:
        rows = json.loads(Path(args.from_observations).read_text())
        obs = [(-math.inf if a is None else a, bool(b), c) for a, b, c in rows if not keep or c in keep]
    else:
        examples = [ex for path in args.examples.split(",") for ex in json.loads(Path(path).read_text(encoding="utf-8"))
                    if not keep or ex["source"] in keep]
    rule = fit_model(Path(args.model), spread(examples, args.limit), args.min_precision, args.write,
                     observations_to=Path(args.observations) if args.observations else None, obs=obs)
    print(json.dumps(rule, indent=2))


if __name__ == "__main__":
    main()
