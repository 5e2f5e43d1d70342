"""``newsbot eval``: score the bot (and, with ``--compare``, baselines) on a QA file.

Every system is asked every question through ``ask(question, k) -> Answer`` in this process,
over the same store; each answer becomes one :class:`QuestionRecord` and the records are
aggregated into the metrics defined in :mod:`evaluation.metrics` and docs/evaluation.md.
"""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Sequence

from bot.answer_types import Answer

from . import metrics as m
from .qa import EvalInputError, QAItem, load_qa  # noqa: F401  (part of this module's API)
from .report import describe_machine

HIT_KS = (1, 3, 5, 10)
CURRENT_DAYS = 14  # current_hit@k: the answer in a passage published in the 14 days up to as_of


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
    short_answer: str = ""  # the short answer shown first, when the reader was confident
    short_answer_right: bool = False  # token F1 >= 0.5 with a gold answer (SQuAD normalisation)
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
        short_answer="" if answer.refused else answer.short_answer,
        short_answer_right=item.answerable and not answer.refused and m.short_answer_right(answer.short_answer,
                                                                                          item.answers),
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
    answered = [r for r in ans if not r.refused and not r.error]
    shown = [r for r in answered if r.short_answer]
    out["short_answer_shown"] = m.ratio(len(shown), len(answered))
    out["short_answer_right"] = m.ratio(sum(r.short_answer_right for r in shown), len(shown))
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
        from bot.newsbot import NewsBot
        from bot.reader import Reader
        from bot.reading_answerer import ReadingAnswerer

        if not Reader.available():
            raise RuntimeError("the reader's model is not installed")
        answerer = ReadingAnswerer()
        return NewsBotSystem(NewsBot(bot.store, search=bot.search, answerer=answerer), name="newsbot-reader"), None

    def scorer():
        from bot.extractive import ExtractiveAnswerer
        from bot.newsbot import NewsBot

        answerer = ExtractiveAnswerer()
        return NewsBotSystem(NewsBot(bot.store, search=bot.search, answerer=answerer), name="newsbot-scorer"), None

    # The other answerer on the same retrieval: the hand-weighted scorer when the bot reads with
    # the reader (the default), the reader otherwise.
    if bot.answerer.answerer_name == "reader":
        yield "newsbot-scorer", scorer
    else:
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


@dataclass
class EvalResult:
    """One evaluation run: the bot's records and metrics, every system's, and what produced them
    (store, embedder, the bot's search and answer configs, machine). ``to_dict()`` is the JSON of
    ``newsbot eval --out``, which :mod:`evaluation.report` turns into a report."""

    systems: dict[str, SystemResult]
    failed: dict[str, str]
    store: str
    store_chunks: int
    embedder: str
    configs: dict
    k: int
    n: int
    seconds: float
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    machine: dict = field(default_factory=describe_machine)

    @property
    def bot(self) -> SystemResult:
        return self.systems["newsbot"]

    def to_dict(self) -> dict:
        return {
            "created": self.created, "store": self.store, "store_chunks": self.store_chunks, "embedder": self.embedder,
            "configs": self.configs, "k": self.k, "n": self.n, "seconds": self.seconds, "machine": self.machine,
            "metrics": self.bot.metrics,
            "records": [r.to_dict() for r in self.bot.records],
            "systems": {name: res.to_dict(with_records=name != "newsbot") for name, res in self.systems.items()},
            "failed": self.failed,
            "hit_curves": {name: [round(x, 4) for x in hit_curve(res.records, self.k)]
                           for name, res in self.systems.items()},
        }


def run_eval(bot, settings, items: Sequence[QAItem], k: int = 10, compare: bool = False,
             progress: bool | None = None) -> EvalResult:
    """Every system asked every question of ``items``: the bot, and with ``compare`` the baselines.

    A system that fails to set up or to run is reported with its error under ``failed``; the
    others' results are kept. Raises :class:`EvalInputError` for ``k < 1`` or an empty store."""
    if k < 1:
        raise EvalInputError(f"-k {k}: retrieve at least one passage per question")
    if bot.store.count() == 0:
        raise EvalInputError(f"store {bot.store.location} is empty: run 'newsbot ingest ... --store {settings.store}' "
                             "first, or pass --store")
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
    return EvalResult(systems=systems, failed=failed, store=str(bot.store.location), store_chunks=bot.store.count(),
                      embedder=bot.store.embedder.name, configs=bot.configs(), k=k, n=len(items),
                      seconds=round(time.perf_counter() - t0, 1))
