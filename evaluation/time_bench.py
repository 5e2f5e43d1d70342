"""Choosing the :class:`~bot.news_time.TimePolicy` weights on dated training questions, cheaply.

``newsbot bench time weights ARTICLES.jsonl QUESTIONS.jsonl`` chunks the articles, builds a BM25
index in memory (no embedding: minutes instead of hours on a CPU) and, for a grid of policies,
fuses the BM25 ranking of the whole store (up to ``as_of``) with the rankings of the policy's
publication windows exactly as :class:`~bot.retriever.HybridSearch` does, then prints hit@5
and current_hit@5 per policy. BM25 stands in for the hybrid search: the policy's job is to
move this week's passages up among candidates, which both lists supply in the same way.
``newsbot bench time latency STORE QUESTIONS.jsonl`` times the search with and without it.
"""
from __future__ import annotations

import itertools
import json
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

from bot.answer_types import Filters
from bot.news_time import TimePolicy, parse_as_of, question_time
from bot.retriever import fuse_rrf
from ingest.chunking import chunk_article
from ingest.filters import lexical_allowed
from ingest.lexical import LexicalIndex
from ingest.loaders.common import make_article

from . import metrics as m
from .evaluate import CURRENT_DAYS
from .qa import QAItem, load_qa


def build_index(articles_path: Path, folder: Path) -> tuple[LexicalIndex, dict[str, tuple[str, str]]]:
    """A BM25 index in ``folder`` of the articles' chunks, and ``{chunk id: (text, published)}``."""
    rows, chunks = [], {}
    for line in articles_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        article = make_article(id=r["id"], title=r.get("title", ""), text=r["text"], source=r.get("source", ""),
                               url=r.get("url", ""), published=r.get("published", ""), lang=r.get("lang", "en"))
        for c in chunk_article(article):
            rows.append((c.id, c.text, c.metadata))
            chunks[c.id] = (c.text, article.published)
    index = LexicalIndex.create(folder)
    index.apply(rows, [], generation=1, reset=True)
    index.reload()
    return index, chunks


def ranked_ids(index: LexicalIndex, question: str, as_of: date, policy: TimePolicy | None, depth: int = 50,
               rrf_k: int = 10) -> list[str]:
    """BM25 results fused with the policy's window rankings (``policy`` None: no time at all)."""
    if policy is None:
        return [cid for cid, _ in index.search(question, depth)]
    scope = question_time(question, as_of)
    base = policy.cutoff(Filters(), scope)
    rankings = [_search(index, question, depth, base)]
    weights = [1.0]
    for flt, w in policy.windows(base, scope):
        rankings.append(_search(index, question, depth, flt))
        weights.append(w)
    fused = fuse_rrf(rankings, weights, rrf_k)
    return sorted(fused, key=lambda cid: -fused[cid])


_SEARCHES: dict = {}


def _search(index: LexicalIndex, question: str, depth: int, filters: Filters) -> list[str]:
    """BM25 ranking under ``filters``, remembered: policies differ in weights more than in windows."""
    key = (id(index), question, depth, filters)
    if key not in _SEARCHES:
        _SEARCHES[key] = [cid for cid, _ in index.search(question, depth, lexical_allowed(filters))]
    return _SEARCHES[key]


def score(index, chunks, questions: Sequence[QAItem], policy: TimePolicy | None, k: int = 5) -> dict:
    hits = current = 0
    for q in questions:
        as_of = parse_as_of(q.as_of)
        top = ranked_ids(index, q.question, as_of, policy)[:k]
        found = [cid for cid in top if m.contains_answer(chunks[cid][0], q.answers)]
        hits += bool(found)
        current += any(m.is_current(chunks[cid][1], q.as_of, CURRENT_DAYS) for cid in found)
    n = len(questions) or 1
    return {f"hit@{k}": round(hits / n, 4), f"current_hit@{k}": round(current / n, 4)}


GRID = {"recent_days": (7, 14), "recent_weight": (0.5, 1.0, 1.5), "period_weight": (0.5, 1.0, 1.5),
        "recent_with_period": (False, True)}


def open_store(store_path: Path):
    """The store at ``store_path``, with the embedder it was built with (or the configured one)."""
    from ingest.settings import StoreSettings
    from ingest.store import Store

    return Store.open(StoreSettings(store=store_path))


def search_latency(store_path: Path, questions_path: Path, limit: int = 200, repeat: int = 3) -> dict:
    """Median and p95 milliseconds of ``HybridSearch.search`` (k = 5) with and without a time scope
    (as of today), interleaved question by question in one process, over the first ``limit``
    questions; each question is searched once first so that caches are warm for both."""
    import time
    from datetime import date

    from bot.retriever import HybridSearch

    store = open_store(store_path)
    search = HybridSearch(store)
    questions = [it.question for it in load_qa(questions_path, limit)]
    times: dict[str, list[float]] = {"without time": [], "with time": []}
    for q in questions:
        scope = question_time(q, date.today())
        search.search(q, 5, time=scope)
        for _ in range(repeat):
            for name, t in (("without time", None), ("with time", scope)):
                t0 = time.perf_counter()
                search.search(q, 5, time=t)
                times[name].append((time.perf_counter() - t0) * 1000)
    return {name: {"p50_ms": round(m.percentile(v, 50), 1), "p95_ms": round(m.percentile(v, 95), 1)}
            for name, v in times.items()}


@dataclass(frozen=True)
class PolicyScore:
    """hit@5 and current_hit@5 of one time policy (``name`` says which)."""

    name: str
    hit: float
    current_hit: float


def score_policies(articles: Path, questions_path: Path, default_only: bool = False,
                   vary: Sequence[str] | None = None, on_score: Callable[[PolicyScore], None] = lambda s: None,
                   on_start: Callable[[int, int], None] = lambda chunks, questions: None) -> list[PolicyScore]:
    """BM25 alone, the ``as_of`` cutoff alone, then the default :class:`TimePolicy` (``default_only``)
    or every policy of :data:`GRID` (only the knobs in ``vary`` varied, the others at their defaults).
    ``on_score`` sees each score as soon as it is measured (a grid takes minutes)."""
    with tempfile.TemporaryDirectory(prefix="newsbot-time-bench-") as tmp:
        return _score_policies(build_index(articles, Path(tmp) / "bm25"), load_qa(questions_path), default_only,
                               vary, on_score, on_start)


def _score_policies(built, questions, default_only, vary, on_score, on_start) -> list[PolicyScore]:
    index, chunks = built
    on_start(len(chunks), len(questions))
    out: list[PolicyScore] = []

    def run(name: str, policy: TimePolicy | None) -> None:
        res = score(index, chunks, questions, policy)
        out.append(PolicyScore(name, res["hit@5"], res["current_hit@5"]))
        on_score(out[-1])

    run("BM25 alone, no as_of", None)
    run("as_of cutoff only", TimePolicy(recent_weight=0.0, period_weight=0.0))
    if default_only:
        run("default TimePolicy()", TimePolicy())
        return out
    default = TimePolicy()
    grid = {k: v if k in vary else (getattr(default, k),) for k, v in GRID.items()} if vary else GRID
    for values in itertools.product(*grid.values()):
        run(" ".join(f"{k}={v}" for k, v in zip(grid, values)), TimePolicy(**dict(zip(grid, values))))
    return out


@dataclass(frozen=True)
class StorePolicyScore:
    """hit@k and current_hit@k (k = 1, 5, 10, 30) of the full search under one time policy
    (``policy``: the fields changed from the default :class:`TimePolicy`, None for no ``as_of``)."""

    policy: dict | None
    hits: dict[int, float]
    current: dict[int, float]


DEPTHS = (1, 5, 10, 30)


def score_store_policies(store_path: Path, questions_path: Path, policies: Sequence[dict | None],
                         on_score: Callable[[StorePolicyScore], None] = lambda s: None) -> list[StorePolicyScore]:
    """The whole :class:`~bot.retriever.HybridSearch` (dense, BM25, sentence ranking, windows) on a
    real store, each question as of its ``as_of``, under each policy (a dict of
    :class:`TimePolicy` fields; None: the question asked without ``as_of``). Unlike
    :func:`score_policies` this embeds the questions and reads the store's sentence vectors."""
    from bot.retriever import HybridSearch

    store = open_store(store_path)
    questions = [q for q in load_qa(questions_path) if q.as_of and q.answers]
    out = []
    for fields in policies:
        search = HybridSearch(store, time_policy=TimePolicy(**(fields or {})))
        hits = dict.fromkeys(DEPTHS, 0)
        current = dict.fromkeys(DEPTHS, 0)
        for q in questions:
            scope = question_time(q.question, parse_as_of(q.as_of)) if fields is not None else None
            found = [(m.contains_answer(p.text, q.answers), m.is_current(p.metadata.get("published", ""), q.as_of,
                                                                           CURRENT_DAYS))
                     for p in search.search(q.question, max(DEPTHS), time=scope)]
            for k in DEPTHS:
                hits[k] += any(a for a, _ in found[:k])
                current[k] += any(a and c for a, c in found[:k])
        n = len(questions) or 1
        score = StorePolicyScore(fields, {k: round(v / n, 4) for k, v in hits.items()},
                                 {k: round(v / n, 4) for k, v in current.items()})
        on_score(score)
        out.append(score)
    return out


def current_ceiling(store_path: Path, questions_path: Path) -> dict[str, float]:
    """What current_hit@k can reach at most: the share of dated answerable questions for which
    some passage published in the ``CURRENT_DAYS`` up to ``as_of`` holds an answer string
    (``any``), and the share for which such a passage is in one of the question's own articles
    (``own``, its ``article_ids``: the story asked about, not an unrelated one that happens to
    name the answer; None when the file lists no articles)."""
    store = open_store(store_path)
    chunks = [(c.text, c.metadata.get("published", ""), c.metadata.get("article_id", "")) for c, _ in store.iter_chunks()]
    questions = [q for q in load_qa(questions_path) if q.as_of and q.answers]
    anywhere = own = 0
    for q in questions:
        found = {aid for text, pub, aid in chunks
                 if m.is_current(pub, q.as_of, CURRENT_DAYS) and m.contains_answer(text, q.answers)}
        anywhere += bool(found)
        own += bool(found & set(q.article_ids))
    n = len(questions) or 1
    listed = any(q.article_ids for q in questions)
    return {"any": round(anywhere / n, 4), "own": round(own / n, 4) if listed else None}
