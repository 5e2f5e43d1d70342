"""A passage-level reader, measured against the sentence reader (issue 25, "read with context").

    python -m training.passage_reader examples --piaf-store STORE --work reader-work/passage
    python -m training.passage_reader train --work reader-work/passage [--questions N] [--max-hours H]
    python -m training.passage_reader eval --store STORE --qa QA.jsonl [--reader-dir DIR] [--as-of] [--out FILE]
    python -m training.passage_reader left-out --work reader-work/passage --source piaf-extra --out QA.jsonl
    python -m training.passage_reader switch --fit EVAL.json --apply EVAL.json [EVAL.json ...]

The same network as the sentence reader (:class:`training.reader_net.CrossNet`, warm-started from
the shipped ``cross.onnx``) reads the question with a whole passage, up to
:data:`bot.reader_encoding.PASSAGE_TOKENS` tokens, instead of one sentence. Its relevance head says
whether the passage holds the answer; its span head, the classic extractive-QA head, says where.
The best span gives both the sentence to lead with (the passage's sentence that holds it) and the
short answer. One reading per passage, one passage per call: a reading does not depend on what is
read beside it.

- ``examples``: PIAF dev (French, even-numbered articles) and ``piaf-extra`` questions with the
  passages the real search over ``--piaf-store`` returns for them (passages of odd-numbered
  articles dropped), and XQuAD questions across languages with their paragraph and two others of
  its article, and RealTimeQA 2022–23 questions with passages of their articles (``rtqa``). A
  passage is a positive when it holds a gold answer; the span is the answer where
  the annotator marked it (else its first occurrence).
- ``train``: packs the pairs (:func:`training.reader_pairs.pack` at passage length) and trains
  them with the sentence reader's resumable loop (:func:`training.resumable_run.train_resumable`),
  then exports ``WORK/model`` (``reader.json`` says it reads passages).
- ``eval``: each question searched once (k = 5, as ``newsbot eval``); the passage reader reads the
  five passages and the shipped sentence answerer answers from the same five; per question the
  record of both (first sentence, answer_hit, short answer and whether it is right), and a summary
  with how many short answers a threshold on the span score would show at each precision.
- ``left-out``: the questions of one source that a ``train --questions N`` run drew none of (its
  seed and count are in ``WORK/run/train.json``), for fitting what sits on top of both readers.
- ``switch``: which reader to lead with, learned. A logistic regression on the disagreements of the
  ``--fit`` evaluation (the sentence answerer's confidence, the passage reader's relevance and span
  score) and a decision threshold fitted there too; then the first sentence on each ``--apply``
  evaluation with the sentence reader alone, the passage reader alone, the switch, a switch on the
  sentence answerer's confidence alone (the passage reader then runs only below it), and the oracle.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MAX_PASSAGES = 3


def _positive(text: str, answers: list[str], at: int | None = None) -> tuple[int, list[int] | None]:
    """(label, span) of a passage: the annotated answer offset ``at`` when it falls inside,
    else the first occurrence of a gold answer."""
    from .reader_examples import answer_span

    if at is not None and 0 <= at < len(text):
        for a in answers:
            if text[at:at + len(a)].casefold() == a.casefold():
                return 1, [at, at + len(a)]
    span = answer_span(text, answers)
    return (1, list(span)) if span else (0, None)


def _group(question: str, source: str, qid: str, answers: list[str], cands: list[dict]) -> dict | None:
    """At most :data:`MAX_PASSAGES` candidates in their order, the first positive always kept."""
    pos = [c for c in cands if c["label"]]
    if not pos:
        return None
    keep = [c for c in cands if c["label"] == 0][: MAX_PASSAGES - 1]
    first = cands.index(pos[0])
    keep.insert(min(first, len(keep)), pos[0])
    return {"id": qid, "question": question, "source": source, "answers": answers,
            "cands": [dict(c, score=0.0, title="", prev="") for c in keep]}


def searched_examples(store_dir: Path, questions: list[dict], source: str, k: int = 5) -> list[dict]:
    """Questions on even-numbered PIAF articles with the passages the search returns for them."""
    from bot.newsbot import NewsBot
    from ingest.embedders import make_embedder
    from ingest.store import Store

    from .splits import in_split

    bot = NewsBot(Store(store_dir, make_embedder("")))
    out = []
    for q in questions:
        if not in_split(q.get("article_id", ""), "train"):
            continue
        retrieval = bot.search.retrieve(q["question"], k=k)
        cands = []
        for p in retrieval.passages:
            if not in_split(p.article_id, "train"):
                continue
            label, span = _positive(p.text, q["answers"])
            cands.append({"text": p.text, "label": label, "span": span})
        g = _group(q["question"], source, q["id"], q["answers"], cands)
        if g:
            out.append(g)
    return out


def xquad_examples(folder: Path, seed: int = 0, per_question: int = 2, limit: int = 0) -> list[dict]:
    """XQuAD questions across languages (:func:`training.paragraph_examples.xquad_pairings`): the
    paragraph and two others of its article, in the paragraph's language, in random order."""
    from .paragraph_examples import XQUAD_LANGS, _xquad_file, xquad_pairings

    files = {lang: _xquad_file(folder, lang) for lang in XQUAD_LANGS if (folder / f"xquad.{lang}.json").is_file()}
    if "en" not in files:
        raise FileNotFoundError(f"{folder}: no xquad.en.json")
    rng, out = random.Random(seed), []
    for qid, q_lang, p_lang in xquad_pairings(sorted(files["en"])[: limit or None], tuple(files), per_question, seed):
        if qid not in files[q_lang] or qid not in files[p_lang]:
            continue
        _title, qa, paras = files[p_lang][qid]
        answers = sorted({a["text"] for a in qa["answers"] if a["text"].strip()})
        home = next(i for i, p in enumerate(paras) if p["context"] == qa["context"])
        chosen = [home] + rng.sample([i for i in range(len(paras)) if i != home], min(2, len(paras) - 1))
        rng.shuffle(chosen)
        at = qa["answers"][0].get("answer_start") if qa["answers"] else None
        cands = []
        for i in chosen:
            label, span = _positive(paras[i]["context"], answers, at if i == home else None)
            cands.append({"text": paras[i]["context"], "label": label, "span": span})
        g = _group(files[q_lang][qid][1]["question"], "xquad-en-other" if q_lang == "en" else "xquad-other-en",
                   f"{qid}:{q_lang}-{p_lang}", answers, cands)
        if g:
            out.append(g)
    return out


def rtqa_examples(folder: Path, seed: int = 0) -> list[dict]:
    """RealTimeQA 2022–23 questions with passages of their articles (cut as the store cuts them,
    :func:`training.paragraph_examples.windows`): the first that holds the answer and two
    others, in random order."""
    from .paragraph_examples import windows

    articles = {a["id"]: a for a in _jsonl(folder / "articles.jsonl")}
    rng, out = random.Random(seed), []
    for q in _jsonl(folder / "questions.jsonl"):
        texts = [articles[a]["text"][x:y] for a in q.get("article_ids", []) if a in articles
                 for x, y in windows(articles[a]["text"])]
        labelled = [(t, *_positive(t, q["answers"])) for t in texts]
        pos = [x for x in labelled if x[1]][:1]
        neg = [x for x in labelled if not x[1]]
        chosen = pos + rng.sample(neg, min(2, len(neg)))
        rng.shuffle(chosen)
        g = _group(q["question"], "rtqa", q["id"], q["answers"],
                   [{"text": t, "label": label, "span": span} for t, label, span in chosen])
        if g:
            out.append(g)
    return out


def _jsonl(path: Path) -> list[dict]:
    from .paragraph_examples import _jsonl as rows

    return list(rows(path))


def build_examples(args) -> None:
    work = Path(args.work)
    (work / "examples").mkdir(parents=True, exist_ok=True)
    shared = Path(args.shared)
    sources = {
        "piaf-fr": lambda: searched_examples(Path(args.piaf_store), _jsonl(shared / "eval" / "piaf_dev.jsonl"), "piaf-fr"),
        "piaf-extra": lambda: searched_examples(Path(args.piaf_store),
                                                _jsonl(shared / "train" / "piaf-extra" / "questions.jsonl"), "piaf-extra"),
        "xquad": lambda: xquad_examples(shared / "train" / "xquad", args.seed),
        "rtqa": lambda: rtqa_examples(shared / "train" / "rtqa-2022-2023", args.seed),
    }
    for name in args.sources.split(","):
        path = work / "examples" / f"{name}.json"
        if path.exists():
            continue
        t0 = time.time()
        rows = sources[name]()
        path.write_text(json.dumps(rows, ensure_ascii=False))
        print(f"{name}: {len(rows)} questions, {sum(len(r['cands']) for r in rows)} passages ({time.time() - t0:.0f} s)",
              flush=True)


def train(args) -> None:
    from bot.reader_encoding import PASSAGE_TOKENS
    from ingest.e5file import E5File

    from . import reader_export, reader_pairs
    from .train import train as train_run

    work = Path(args.work)
    rows = []
    for name in args.sources.split(","):
        rows += json.loads((work / "examples" / f"{name}.json").read_text(encoding="utf-8"))
    packed = work / "packed"
    if not (packed / "packed.json").exists():
        # (the article index only marks validation questions, which this run does not hold out)
        article_of = reader_pairs.article_index() if (SHARED / "eval" / "piaf_dev.jsonl").is_file() else {}
        summary = reader_pairs.pack(rows, E5File.shared(), packed, article_of, max_tokens=PASSAGE_TOKENS)
        (packed / "packed.json").write_text(json.dumps(summary, indent=2) + "\n")
    summary = json.loads((packed / "packed.json").read_text())
    print(json.dumps(summary), flush=True)

    def log(msg: str) -> None:
        print(time.strftime("%H:%M:%S"), msg, flush=True)

    if args.export_checkpoint:
        from .train import checkpoint_run

        run = checkpoint_run(args, packed, work, log)
    else:
        run = train_run(args, packed, work, log)
    if run is None:
        return
    out = Path(args.out or work / "model")
    meta = reader_export.export(run, out, E5File.shared(), summary)
    meta["inputs"].update({"unit": "passage", "max_tokens": PASSAGE_TOKENS})
    (out / "reader.json").write_text(json.dumps(meta, indent=2) + "\n")
    log(f"exported {out}")


def read_passages(reader, question: str, passages: list) -> list[dict]:
    """The passage reader's verdict on each passage: its relevance logit, best span (character
    offsets in the passage), span score, the sentence holding the span and the span's text."""
    from ingest.chunking import split_sentences

    readings = reader.read(question, [p.text for p in passages], ranks=list(range(len(passages))))
    out = []
    for p, r in zip(passages, readings):
        sentence, short = "", ""
        if r.span:
            a = r.span[0]
            sentence = next((p.text[x:y] for x, y in split_sentences(p.text) if x <= a < y), "")
            short = p.text[r.span[0]:r.span[1]].strip(" ,;:.")
        out.append({"rel": r.score, "span_score": r.span_score, "sentence": sentence, "short": short})
    return out


STRATEGIES = {
    "relevance": lambda r: r["rel"],
    "span": lambda r: r["span_score"],
    "relevance+span": lambda r: r["rel"] + r["span_score"],
}


def evaluate(store_dir: Path, qa: list[dict], reader_dir: Path | None, as_of: bool) -> dict:
    from bot.news_time import parse_as_of, question_time
    from bot.newsbot import NewsBot
    from bot.questions import question_language
    from bot.reader import MODEL_DIR, Reader
    from bot.reader_encoding import PASSAGE_TOKENS
    from bot.reading_answerer import ReadingAnswerer
    from evaluation import metrics as m
    from ingest.embedders import make_embedder
    from ingest.store import Store

    passage_reader = Reader(reader_dir or MODEL_DIR)
    passage_reader.max_tokens = PASSAGE_TOKENS
    sentence = ReadingAnswerer(reader=Reader(MODEL_DIR), mode="both", min_confidence=-math.inf)
    bot = NewsBot(Store(store_dir, make_embedder("")), answerer=sentence)
    records = []
    for q in qa:
        if not q.get("answers"):
            continue
        scope = question_time(q["question"], parse_as_of(q["as_of"])) if as_of and q.get("as_of") else None
        retrieval = bot.search.retrieve(q["question"], k=5, time=scope)
        lang = question_language(q["question"]) or "en"
        ans = sentence.answer(q["question"], retrieval.passages, lang=lang, idf=retrieval.idf)
        t0 = time.perf_counter()
        reads = read_passages(passage_reader, q["question"], retrieval.passages)
        ms = (time.perf_counter() - t0) * 1000
        lead = m.first_sentence(ans.answer)
        rec = {"id": q["id"], "ms": ms,
               "sentence": {"confidence": ans.confidence,
                            "first": m.answer_hit_first_sentence(ans.answer, q["answers"]),
                            "hit": m.answer_hit(ans.answer, q["answers"]),
                            "short": bool(ans.short_answer),
                            "short_right": m.short_answer_right(ans.short_answer, q["answers"])}}
        for name, key in STRATEGIES.items():
            if not reads:
                rec[name] = {"first": False, "short_right": False, "span_score": -math.inf, "with_sentence": False}
                continue
            best = max(reads, key=key)
            rec[name] = {"first": m.answer_hit(best["sentence"], q["answers"]),
                         "short_right": m.short_answer_right(best["short"], q["answers"]),
                         "span_score": best["span_score"], "rel": best["rel"],
                         "same_lead": bool(best["sentence"]) and best["sentence"].strip() in lead,
                         # the passage reader's sentence first, then the sentence answerer's quotes
                         "with_sentence": m.answer_hit(best["sentence"] + " " + ans.answer, q["answers"])}
        rec["agree"] = agreeing_short(lead, retrieval.passages, reads, q["answers"])
        records.append(rec)
    return {"records": records, "summary": summarize(records)}


def agreeing_short(lead: str, passages: list, reads: list[dict], answers: list[str]) -> dict:
    """The short answer where the two readers agree: the passage reader's best span in the passage
    the sentence reader leads from, when that span lies in the leading sentence."""
    from evaluation import metrics as m

    for p, r in zip(passages, reads):
        if lead and lead in p.text:
            ok = bool(r["short"]) and r["short"] in lead
            return {"shown": ok, "right": ok and m.short_answer_right(r["short"], answers),
                    "span_score": r["span_score"] if ok else -math.inf}
    return {"shown": False, "right": False, "span_score": -math.inf}


def threshold_curve(scored: list[tuple[float, bool]], precisions=(0.75, 0.8)) -> dict:
    """For each precision, the largest share of questions a threshold on the score shows at that
    precision or better (measured on the same questions: how far a threshold could go)."""
    scored = sorted(scored, key=lambda x: -x[0])
    out = {}
    for p in precisions:
        best, right = 0, 0
        for n, (_s, ok) in enumerate(scored, 1):
            right += ok
            if right / n >= p:
                best = n
        out[f"shown_at_{p}"] = round(best / max(1, len(scored)), 4)
    return out


def summarize(records: list[dict]) -> dict:
    n = max(1, len(records))
    out = {"questions": len(records),
           "sentence_reader": {k: round(sum(r["sentence"][k] for r in records) / n, 4)
                               for k in ("first", "hit", "short", "short_right")}}
    for name in STRATEGIES:
        rows = [r[name] for r in records]
        out[name] = {"first": round(sum(x["first"] for x in rows) / n, 4),
                     "short_right_of_all": round(sum(x["short_right"] for x in rows) / n, 4),
                     "with_sentence_hit": round(sum(x["with_sentence"] for x in rows) / n, 4),
                     **threshold_curve([(x["span_score"], x["short_right"]) for x in rows])}
    agree = [r["agree"] for r in records if "agree" in r]
    if agree:
        shown = [a for a in agree if a["shown"]]
        out["agreeing_short"] = {"shown": round(len(shown) / n, 4),
                                 "right_when_shown": round(sum(a["right"] for a in shown) / max(1, len(shown)), 4),
                                 **threshold_curve([(a["span_score"], a["right"]) for a in agree])}
    ms = sorted(r["ms"] for r in records)
    if ms:
        out["passage_read_ms_p50"] = round(ms[len(ms) // 2], 1)
        out["passage_read_ms_p95"] = round(ms[int(0.95 * (len(ms) - 1))], 1)
    return out


def left_out(work: Path, source: str) -> list[dict]:
    """The questions of ``source`` (an ``examples`` file) that the run in ``work`` did not train on."""
    import numpy as np

    from .train import trained_groups

    run = json.loads((work / "run" / "train.json").read_text())
    sources = np.load(work / "packed" / "pairs.npz")["group_source"]
    rows = json.loads((work / "examples" / f"{source}.json").read_text(encoding="utf-8"))
    at = [g for g, name in enumerate(sources) if name == source]
    if len(at) != len(rows) or at != list(range(at[0], at[0] + len(at))):
        raise SystemExit(f"{source}: the packed questions are not the examples file's, in order")
    trained = set(trained_groups(len(sources), argparse.Namespace(questions=run["questions"], seed=run["seed"])))
    return [{"id": r["id"], "question": r["question"], "answers": r["answers"]}
            for g, r in zip(at, rows) if g not in trained]


SWITCH_FEATURES = ("confidence", "rel", "span_score")


def _switch_rows(records: list[dict]):
    import numpy as np

    x = np.array([[r["sentence"]["confidence"], r["relevance"]["rel"], r["relevance"]["span_score"]]
                  for r in records], dtype=np.float64)
    sent = np.array([r["sentence"]["first"] for r in records], dtype=bool)
    pas = np.array([r["relevance"]["first"] for r in records], dtype=bool)
    return np.nan_to_num(x, neginf=-20.0), sent, pas


def _best_threshold(score, sent, pas) -> float:
    """The cut on ``score`` (above it: the passage reader leads) with the most first sentences right."""
    import numpy as np

    cuts = np.concatenate([[np.inf], np.unique(score)])
    right = [np.where(score >= c, pas, sent).sum() for c in cuts]
    return float(cuts[int(np.argmax(right))])


def fit_switch(records: list[dict]) -> dict:
    """The learned switch, fitted on ``records`` (an evaluation of questions no reader trained on)."""
    from sklearn.linear_model import LogisticRegression

    x, sent, pas = _switch_rows(records)
    mean, std = x.mean(0), x.std(0) + 1e-9
    differ = sent != pas
    model = LogisticRegression().fit((x[differ] - mean) / std, pas[differ])
    score = model.decision_function((x - mean) / std)
    conf_cut = _best_threshold(-x[:, 0], sent, pas)  # the passage reader leads below a confidence
    return {"mean": mean.tolist(), "std": std.tolist(), "coef": model.coef_[0].tolist(),
            "intercept": float(model.intercept_[0]), "cut": _best_threshold(score, sent, pas),
            "confidence_below": -conf_cut, "fitted_on": len(records), "disagreements": int(differ.sum())}


def apply_switch(switch: dict, records: list[dict]) -> dict:
    import numpy as np

    x, sent, pas = _switch_rows(records)
    score = ((x - np.array(switch["mean"])) / np.array(switch["std"])) @ np.array(switch["coef"]) + switch["intercept"]
    learned = np.where(score >= switch["cut"], pas, sent)
    low = x[:, 0] < switch["confidence_below"]
    n = max(1, len(records))
    return {"questions": len(records), "sentence_reader": round(sent.sum() / n, 4),
            "passage_reader": round(pas.sum() / n, 4), "switch": round(learned.sum() / n, 4),
            "passage_leads": round(float((score >= switch["cut"]).mean()), 4),
            "switch_on_confidence": round(np.where(low, pas, sent).sum() / n, 4),
            "passage_reader_runs": round(float(low.mean()), 4), "oracle": round((sent | pas).sum() / n, 4)}


def parser() -> argparse.ArgumentParser:
    from .train import parser as train_parser

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("examples")
    ex.add_argument("--piaf-store", required=True)
    ex.add_argument("--work", default="reader-work/passage")
    ex.add_argument("--shared", default=str(SHARED))
    ex.add_argument("--sources", default="piaf-fr,piaf-extra,xquad")
    ex.add_argument("--seed", type=int, default=13)
    sub.add_parser("train", parents=[train_parser()], add_help=False, conflict_handler="resolve")
    ev = sub.add_parser("eval")
    ev.add_argument("--store", required=True)
    ev.add_argument("--qa", required=True)
    ev.add_argument("--reader-dir", type=Path)
    ev.add_argument("--as-of", action="store_true")
    ev.add_argument("--limit", type=int, default=0)
    ev.add_argument("--out")
    lo = sub.add_parser("left-out")
    lo.add_argument("--work", default="reader-work/passage")
    lo.add_argument("--source", default="piaf-extra")
    lo.add_argument("--out", required=True)
    sw = sub.add_parser("switch")
    sw.add_argument("--fit", required=True)
    sw.add_argument("--apply", nargs="+", required=True)
    return ap


def main(argv=None) -> None:
    args = parser().parse_args(argv)
    if args.command == "examples":
        build_examples(args)
    elif args.command == "train":
        from .train import SOURCES

        if args.sources == ",".join(SOURCES):        # the sentence reader's default: this one's instead
            args.sources = "piaf-fr,piaf-extra,xquad"
        if args.work == "reader-work":
            args.work = "reader-work/passage"
        train(args)
    elif args.command == "left-out":
        rows = left_out(Path(args.work), args.source)
        Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} {args.source} questions the run did not train on: {args.out}")
    elif args.command == "switch":
        switch = fit_switch(json.loads(Path(args.fit).read_text())["records"])
        print(json.dumps({"switch": switch, **{f: apply_switch(switch, json.loads(Path(f).read_text())["records"])
                                               for f in args.apply}}, indent=2))
    else:
        qa = _jsonl(Path(args.qa))[: args.limit or None]
        t0 = time.time()
        result = evaluate(Path(args.store), qa, args.reader_dir, args.as_of)
        result["seconds"] = round(time.time() - t0, 1)
        if args.out:
            Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps(result["summary"], indent=2))


if __name__ == "__main__":
    main()
