"""``newsbot eval``: score the bot (and, with ``--compare``, baselines) on a QA file.

Every system is asked every question through ``ask(question, k) -> Answer`` in this process,
over the same store; each answer becomes one :class:`QuestionRecord` and the records are
aggregated into the metrics defined in :mod:`bot.eval.metrics` and docs/evaluation.md.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from ingest.errors import NewsbotError

from . import metrics as m
from ..model import Answer
from ..timeq import AsOfError, parse_as_of

HIT_KS = (1, 3, 5, 10)
CURRENT_DAYS = 14  # current_hit@k: the answer in a passage published in the 14 days up to as_of


class EvalInputError(NewsbotError):
    """The QA file or the store cannot be evaluated."""


@dataclass(frozen=True)
class QAItem:
    """One evaluation question; no answer strings means the corpus does not answer it."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    article_id: str = ""
    as_of: str = ""  # the day the question is asked as of (YYYY-MM-DD), when given

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def load_qa(path: Path) -> list[QAItem]:
    """The questions of a JSONL file of ``{"id", "question", "answers": [...], "article_id"?, "as_of"?}``."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"{path}: cannot be read ({exc}); give a UTF-8 JSONL file of questions") from exc
    items, seen = [], set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            item = QAItem(id=str(d["id"]), question=str(d["question"]),
                          answers=tuple(str(a) for a in d.get("answers") or ()),
                          article_id=str(d.get("article_id") or ""), as_of=str(d.get("as_of") or ""))
            if item.as_of:
                parse_as_of(item.as_of)
        except (ValueError, KeyError, TypeError, AsOfError) as exc:
            raise EvalInputError(f"{path}:{n}: not a question record ({type(exc).__name__}: {exc}); "
                                 'expected {"id", "question", "answers": [...]}') from exc
        if item.id in seen:
            raise EvalInputError(f"{path}:{n}: question id '{item.id}' appears twice; ids must be unique")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise EvalInputError(f"{path}: no questions found")
    return items


@dataclass
class QuestionRecord:
    """What one system did with one question, with the facts the metrics are computed from."""

    id: str
    answerable: bool
    first_hit_rank: int | None = None  # 1-based rank of the first retrieved passage containing an answer
    first_current_hit_rank: int | None = None  # the same, among passages published in the CURRENT_DAYS up to as_of
    hit_ranks: list[int] = field(default_factory=list)  # ranks of every retrieved passage containing an answer
    article_rank: int | None = None  # rank of the first passage of the question's article, if given
    retrieved: list[str] = field(default_factory=list)  # chunk ids, ranked
    refused: bool = False
    answer: str = ""
    answer_hit: bool = False
    answer_hit_first_sentence: bool = False
    markers: list[int] = field(default_factory=list)  # [n] markers in the answer, in order
    marker_supported: list[bool] = field(default_factory=list)  # does marker i's passage contain an answer
    citations: list[dict] = field(default_factory=list)  # {n, chunk_id, article_id, contains_answer}
    cited_hit: bool = False  # some cited passage contains an answer
    latency_ms: float | None = None
    error: str = ""
    dated: bool = False  # the question has an as_of date (it counts in current_hit@k)

    def to_dict(self) -> dict:
        return asdict(self)


def score_answer(item: QAItem, answer: Answer, latency_ms: float) -> QuestionRecord:
    """The record of ``answer`` to ``item``."""
    texts = [p.text for p in answer.passages]
    hit_ranks = [r for r, t in enumerate(texts, 1) if item.answerable and m.contains_answer(t, item.answers)]
    current = [r for r in hit_ranks if item.as_of and m.is_current(answer.passages[r - 1].metadata.get("published", ""),
                                                                   item.as_of, CURRENT_DAYS)]
    article_rank = next((r for r, p in enumerate(answer.passages, 1) if item.article_id and p.article_id == item.article_id),
                        None)
    cited = {c.n: c.passage for c in answer.citations}
    citations = [{"n": c.n, "chunk_id": c.chunk_id, "article_id": c.article_id,
                  "contains_answer": item.answerable and m.contains_answer(c.passage, item.answers)}
                 for c in answer.citations]
    markers = m.citation_markers(answer.answer)
    text = "" if answer.refused else answer.answer
    return QuestionRecord(
        id=item.id,
        answerable=item.answerable,
        first_hit_rank=hit_ranks[0] if hit_ranks else None,
        first_current_hit_rank=current[0] if current else None,
        hit_ranks=hit_ranks,
        article_rank=article_rank,
        retrieved=[p.chunk_id for p in answer.passages],
        refused=answer.refused,
        answer=answer.answer,
        answer_hit=item.answerable and m.answer_hit(text, item.answers),
        answer_hit_first_sentence=item.answerable and m.answer_hit_first_sentence(text, item.answers),
        markers=markers,
        marker_supported=m.marker_support(answer.answer, cited, item.answers) if item.answerable else [False] * len(markers),
        citations=citations,
        cited_hit=any(c["contains_answer"] for c in citations),
        latency_ms=round(latency_ms, 2),
        dated=bool(item.as_of),
    )


def aggregate(records: Sequence[QuestionRecord], depth: int, ks: Sequence[int] = HIT_KS) -> dict:
    """The metrics of one system over ``records``; ``depth`` is how many passages were retrieved.

    Retrieval and answer metrics are over answerable questions (an error counts as a miss);
    hit@k beyond ``depth`` is None. See docs/evaluation.md for every definition.
    """
    ans = [r for r in records if r.answerable]
    ranks = [r.first_hit_rank for r in ans]
    out: dict = {"n": len(records), "answerable": len(ans), "unanswerable": len(records) - len(ans)}
    for k in ks:
        out[f"hit@{k}"] = m.hit_rate(ranks, k) if k <= depth else None
    dated = [r for r in ans if r.dated]
    for k in ks:
        out[f"current_hit@{k}"] = m.hit_rate([r.first_current_hit_rank for r in dated], k) if k <= depth else None
    out["dated"] = len(dated)
    out["mrr"] = m.mean_reciprocal_rank(ranks)
    out["answer_hit"] = m.ratio(sum(r.answer_hit for r in ans), len(ans))
    out["answer_hit_first_sentence"] = m.ratio(sum(r.answer_hit_first_sentence for r in ans), len(ans))
    supported = [s for r in ans for s in r.marker_supported]
    out["citation_precision"] = m.ratio(sum(supported), len(supported))
    out["citation_recall"] = m.ratio(sum(r.cited_hit for r in ans), len(ans))
    ok = [r for r in records if not r.error]
    out["refusal_precision"], out["refusal_recall"] = m.refusal_scores([r.answerable for r in ok], [r.refused for r in ok])
    out["refused_answerable"] = m.ratio(sum(r.refused for r in ans), len(ans))
    lat = [r.latency_ms for r in ok if r.latency_ms is not None]
    out["latency_p50_ms"] = _round(m.percentile(lat, 50))
    out["latency_p95_ms"] = _round(m.percentile(lat, 95))
    out["latency_max_ms"] = _round(max(lat) if lat else None)
    out["errors"] = len(records) - len(ok)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def hit_curve(records: Sequence[QuestionRecord], depth: int) -> list[float]:
    """hit@k for k = 1..depth over the answerable questions (for the report's plot)."""
    ranks = [r.first_hit_rank for r in records if r.answerable]
    return [m.hit_rate(ranks, k) or 0.0 for k in range(1, depth + 1)]


@dataclass
class SystemResult:
    name: str
    description: str
    metrics: dict
    records: list[QuestionRecord]
    setup_seconds: float = 0.0

    def to_dict(self, with_records: bool = True) -> dict:
        d = {"description": self.description, "setup_seconds": round(self.setup_seconds, 1), "metrics": self.metrics}
        if with_records:
            d["records"] = [r.to_dict() for r in self.records]
        return d


def evaluate_system(system, items: Sequence[QAItem], k: int, progress: bool | None = None,
                    setup_seconds: float = 0.0) -> SystemResult:
    """Ask ``system`` every question once (in order) and score the answers."""
    from tqdm import tqdm

    records = []
    # Off only when asked; in a log file (no terminal) the bar is redrawn every 10 s instead of constantly.
    for item in tqdm(items, desc=f"eval {system.name}", unit=" q", file=sys.stderr, dynamic_ncols=True,
                     disable=progress is False, mininterval=0.1 if sys.stderr.isatty() else 10):
        t0 = time.perf_counter()
        try:
            answer = system.ask(item.question, k, as_of=item.as_of)
        except Exception as exc:  # one failing question must not stop the run; it is counted
            records.append(QuestionRecord(id=item.id, answerable=item.answerable,
                                          error=f"{type(exc).__name__}: {exc}", dated=bool(item.as_of)))
            continue
        records.append(score_answer(item, answer, (time.perf_counter() - t0) * 1000))
    return SystemResult(system.name, system.description, aggregate(records, k), records, setup_seconds)


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


def build_systems(bot, settings, compare: bool, progress: bool | None = None, dated: bool = False):
    """``(name, make)`` of every system to run: the bot, then with ``compare`` the same bot ignoring
    ``as_of`` (when questions have one) and the baselines on its store. ``make()`` returns
    ``(system, close)``; it may fail, and the other systems still run."""
    from .baselines import BM25Baseline, DenseBaseline, LangChainBaseline, NewsBotSystem

    def plain(system):
        return lambda: (system, None)

    yield "newsbot", plain(NewsBotSystem(bot))
    if not compare:
        return
    if dated:
        yield NewsBotSystem.WITHOUT_AS_OF, plain(NewsBotSystem(bot, use_as_of=False))

    def reader():
        from .newsbot import NewsBot, store_idf
        from .reader import Reader, ReadingAnswerer

        if not Reader.available():
            raise RuntimeError("the reader's model is not installed")
        answerer = ReadingAnswerer(idf_source=lambda: store_idf(bot.store))
        return NewsBotSystem(NewsBot(bot.store, search=bot.search, answerer=answerer), name="newsbot-reader"), None

    if getattr(bot.answerer, "answerer_name", "") != "reader":
        yield "newsbot-reader", reader
    yield "bm25", plain(BM25Baseline(bot.store))
    yield "dense", plain(DenseBaseline(bot.store))

    def langchain():
        from ingest.embedders import make_embedder

        if progress is not False:
            print("eval langchain: re-splitting and indexing the store's articles with all-MiniLM-L6-v2 ...",
                  file=sys.stderr, flush=True)
        lc = LangChainBaseline(bot.store, make_embedder("minilm", settings.model_load_timeout),
                               settings.chunk_size, settings.chunk_overlap)
        return lc, lc.close

    yield "langchain", langchain


def run_eval(bot, settings, items: Sequence[QAItem], k: int = 10, compare: bool = False,
             progress: bool | None = None) -> dict:
    """The full result (the JSON of ``--out``): the bot's metrics and records, and every system's.

    A system that fails to set up or to run is reported with its error under ``failed``; the
    others' results are kept."""
    t0 = time.perf_counter()
    systems: dict[str, SystemResult] = {}
    failed: dict[str, str] = {}
    dated = any(it.as_of for it in items)
    for name, make in build_systems(bot, settings, compare, progress, dated):
        t1 = time.perf_counter()
        close = None
        try:
            system, close = make()
            systems[name] = evaluate_system(system, items, k, progress, time.perf_counter() - t1 if close else 0.0)
        except Exception as exc:  # a broken baseline must not lose the other systems' results
            failed[name] = f"{type(exc).__name__}: {exc}"
            print(f"eval {name}: failed ({failed[name]}); the other systems are still reported", file=sys.stderr)
        finally:
            if close is not None:
                close()
    bot_result = systems["newsbot"]
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "store": str(bot.store.location),
        "store_chunks": bot.store.count(),
        "embedder": bot.store.embedder.name,
        "k": k,
        "n": len(items),
        "seconds": round(time.perf_counter() - t0, 1),
        "machine": describe_machine(),
        "metrics": bot_result.metrics,
        "records": [r.to_dict() for r in bot_result.records],
        "systems": {name: res.to_dict(with_records=name != "newsbot") for name, res in systems.items()},
        "failed": failed,
        "hit_curves": {name: [round(x, 4) for x in hit_curve(res.records, k)] for name, res in systems.items()},
    }


METRIC_ROWS = ["hit@1", "hit@3", "hit@5", "hit@10", "current_hit@1", "current_hit@3", "current_hit@5", "current_hit@10",
               "mrr", "answer_hit", "answer_hit_first_sentence",
               "citation_precision", "citation_recall", "refusal_precision", "refusal_recall", "refused_answerable",
               "latency_p50_ms", "latency_p95_ms", "latency_max_ms", "errors", "n"]


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


def write_report(result: dict, path: Path, qa_path: Path, command: str) -> list[Path]:
    """A Markdown report at ``path`` with the table and two PNG plots beside it; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stem = path.stem
    hit_png = path.with_name(f"{stem}-hit-at-k.png")
    lat_png = path.with_name(f"{stem}-latency.png")
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
    fig.savefig(hit_png, dpi=110)
    plt.close(fig)

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
    fig.savefig(lat_png, dpi=110)
    plt.close(fig)

    mach = result["machine"]
    descs = "\n".join(f"- **{name}** — {s['description']}"
                      + (f" (setup {s['setup_seconds']} s)" if s["setup_seconds"] else "")
                      for name, s in result["systems"].items())
    misses = [r for r in result["records"] if r["answerable"] and (r["first_hit_rank"] or 99) > 5][:10]
    questions = {it.id: it for it in load_qa(qa_path)} if misses else {}
    miss_lines = "\n".join(f"| {r['id']} | {questions[r['id']].question} | {' / '.join(questions[r['id']].answers)} | "
                           f"{r['first_hit_rank'] or '—'} |" for r in misses if r["id"] in questions)
    text = f"""# Evaluation report: {qa_path.name}

Generated by `{command}` on {result['created']}.
Store: `{result['store']}` ({result['store_chunks']} chunks, {result['embedder']}); {result['n']} questions,
{result['metrics']['answerable']} answerable; k = {k} passages retrieved per question. Machine: {mach['cpus']} CPUs,
{mach['memory_gb']} GB RAM, Python {mach['python']}. Metric definitions: docs/evaluation.md.
Whole run: {result['seconds']:.0f} s.

{descs}

Baselines never refuse; their answer is the sentence of their top passage sharing the most
words with the question, cited [1]. n/a = undefined (e.g. no unanswerable question, no refusal).
Latency is the wall time of each `ask` in one process on shared cores (load average
{mach.get('loadavg_1m', '?')} at the end), including any work a system does on first use (caches
filled the first time a passage is retrieved), so a second run on the same store can be faster.

{format_table(result)}

![hit rate vs k]({hit_png.name})

![latency histogram]({lat_png.name})
"""
    if miss_lines:
        text += f"""
## First newsbot misses (no passage with the answer in the top 5)

| id | question | answers | first hit rank |
|---|---|---|---:|
{miss_lines}
"""
    path.write_text(text, encoding="utf-8")
    return [path, hit_png, lat_png]


def _records(result: dict, name: str) -> list[dict]:
    return result["records"] if name == "newsbot" else result["systems"][name]["records"]


def _command_line(args) -> str:
    """The ``newsbot eval`` command that reproduces this run (for the report)."""
    parts = ["newsbot", "eval", str(args.qa)]
    if args.store:
        parts += ["--store", str(args.store)]
    if args.k != 10:
        parts += ["-k", str(args.k)]
    if getattr(args, "limit", None):
        parts += ["--limit", str(args.limit)]
    if args.compare:
        parts.append("--compare")
    if args.out:
        parts += ["--out", str(args.out)]
    parts += ["--report", str(args.report)]
    return " ".join(parts)


def run_eval_command(args, settings) -> int:
    """``newsbot eval``: print the metrics table; write ``--out`` JSON and ``--report`` Markdown."""
    from ..newsbot import NewsBot

    items = load_qa(args.qa)
    if getattr(args, "limit", None):
        items = items[: args.limit]
    if args.k < 1:
        raise EvalInputError(f"-k {args.k}: retrieve at least one passage per question")
    bot = NewsBot.from_settings(settings)
    if bot.store.count() == 0:
        raise EvalInputError(f"store {bot.store.location} is empty: run 'newsbot ingest ... --store {settings.store}' "
                             "first, or pass --store")
    progress = False if getattr(args, "no_progress", False) else None
    result = run_eval(bot, settings, items, k=args.k, compare=args.compare, progress=progress)
    print(format_table(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    if args.report:
        for p in write_report(result, args.report, Path(args.qa), _command_line(args)):
            print(f"wrote {p}", file=sys.stderr)
    return 0
