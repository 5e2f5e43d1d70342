"""The command line of evaluation and benchmarks: ``newsbot eval`` and ``newsbot bench ...``.

:func:`register_commands` adds them to the ``newsbot`` parser (``ui.cli`` calls it, so the
dependency runs one way). Every option is read here and handed to the library functions of
:mod:`evaluation` as plain values; nothing below this module sees ``argparse``.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

from .cli_common import require_store, settings_from_args


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _write_json(path: Path | None, result: dict) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        _log(f"wrote {path}")


# ---- newsbot eval -------------------------------------------------------------------------------

def _register_eval(sub, common) -> None:
    p = sub.add_parser("eval", parents=[common], help="score the bot on a QA file")
    p.add_argument("qa", type=Path)
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--out", type=Path)
    p.add_argument("--report", type=Path)
    p.add_argument("--compare", action="store_true", help="also run the baselines")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_eval)


def eval_command_line(args) -> str:
    """The ``newsbot eval`` command that reproduces this run (for the report)."""
    parts = ["newsbot", "eval", str(args.qa)]
    if args.store:
        parts += ["--store", str(args.store)]
    if args.k != 10:
        parts += ["-k", str(args.k)]
    if args.limit:
        parts += ["--limit", str(args.limit)]
    if args.compare:
        parts.append("--compare")
    if args.out:
        parts += ["--out", str(args.out)]
    parts += ["--report", str(args.report)]
    return " ".join(parts)


def cmd_eval(args) -> int:
    """Print the metrics table; write ``--out`` JSON and the ``--report`` Markdown."""
    from bot.newsbot import NewsBot
    from evaluation.evaluate import run_eval
    from evaluation.qa import load_qa
    from evaluation.report import format_table, write_report

    settings = settings_from_args(args)
    require_store(settings)
    items = load_qa(args.qa, args.limit)
    bot = NewsBot.from_settings(settings)
    result = run_eval(bot, settings, items, k=args.k, compare=args.compare,
                      progress=False if args.no_progress else None).to_dict()
    print(format_table(result))
    _write_json(args.out, result)
    if args.report:
        for p in write_report(result, args.report, args.qa.name, eval_command_line(args), items):
            _log(f"wrote {p}")
    return 0


# ---- newsbot bench ingest | query | lexical -----------------------------------------------------

def _register_store_benches(which, common) -> None:
    b = which.add_parser("ingest", parents=[common], help="pipeline throughput vs the embedder alone")
    b.add_argument("--articles", type=Path, required=True, help="a JSONL file of articles")
    b.add_argument("--limit", type=int, help="only the first N articles")
    b.add_argument("--out", type=Path, help="write the result as JSON")
    b.set_defaults(run=cmd_bench_ingest)
    b = which.add_parser("query", parents=[common],
                         help="query latency, peak memory and one-article write cost at 1k to 1M chunks")
    b.add_argument("--source-store", type=Path, help="real store the tiers are built from (default: --store)")
    b.add_argument("--work", type=Path, default=Path("bench-stores"), help="folder for the tier stores (reused)")
    b.add_argument("--tiers", default="1000,10000,100000,1000000")
    b.add_argument("--qa", type=Path, required=True, help="questions asked of every tier (JSONL)")
    b.add_argument("--questions", type=int, default=100)
    b.add_argument("-k", type=int, default=5)
    b.add_argument("--out", type=Path, help="write the result as JSON")
    b.add_argument("--plot", type=Path, help="write the latency and memory curves as PNG")
    b.set_defaults(run=cmd_bench_query)
    b = which.add_parser("lexical", parents=[common], help="BM25 index candidates (bm25s, SQLite FTS5, tantivy) on one tier")
    b.add_argument("--source-store", type=Path, help="real store the tier is built from (default: --store)")
    b.add_argument("--work", type=Path, default=Path("bench-stores"), help="folder for the indexes (removed after)")
    b.add_argument("--size", type=int, default=100000)
    b.add_argument("--qa", type=Path, required=True, help="questions for query latency and hit@5 (JSONL)")
    b.add_argument("--questions", type=int, default=100)
    b.add_argument("--out", type=Path, help="write the result as JSON")
    b.set_defaults(run=cmd_bench_lexical)


def _finish_bench(result: dict, out: Path | None) -> int:
    from evaluation.report import describe_machine

    result["machine"] = describe_machine()  # loadavg_1m: other processes sharing the cores at the end
    _write_json(out, result)
    return 0


def cmd_bench_ingest(args) -> int:
    from evaluation.benchmarks import bench_ingest

    res = bench_ingest(args.articles, settings_from_args(args), limit=args.limit)
    print(json.dumps(res, indent=1))
    _log(f"pipeline {res['pipeline']['chunks_per_s']} chunks/s vs embedder alone "
         f"{res['embedder_alone']['chunks_per_s']} chunks/s: overhead {res['overhead_pct_wall']} % wall, "
         f"{res['overhead_pct_cpu']} % CPU")
    return _finish_bench(res, args.out)


def _source_store(args):
    from evaluation.benchmarks import open_source_store

    settings = settings_from_args(args)
    return settings, open_source_store(args.source_store or settings.store, settings.embedder,
                                       settings.model_load_timeout)


def cmd_bench_query(args) -> int:
    from evaluation.benchmarks import bench_query, format_query_table, plot_query
    from ingest.embedders import config_name

    settings, source = _source_store(args)
    tiers = [int(t) for t in args.tiers.split(",") if t.strip()]
    res = bench_query(source, args.work, tiers, args.qa, args.questions, args.k, config_name(source.embedder.name),
                      log=_log)
    print(format_query_table(res))
    if args.plot:
        plot_query(res, args.plot)
    return _finish_bench(res, args.out)


def cmd_bench_lexical(args) -> int:
    from evaluation.benchmarks import read_source_chunks, tier_chunks
    from evaluation.lexical_bench import bench_lexical

    _, source = _source_store(args)
    chunks, vectors = read_source_chunks(source)
    res = bench_lexical(chunks, lambda a, b: tier_chunks(chunks, vectors, args.size, a, b)[0], args.size,
                        args.work, args.qa, args.questions, log=_log)
    print(json.dumps(res, indent=1))
    return _finish_bench(res, args.out)


# ---- newsbot bench answers | time | load --------------------------------------------------------

def _register_answer_benches(which, common) -> None:
    b = which.add_parser("answers", parents=[common], help="retrieval hit rates, answer sentences, refusals (docs/answers.md)")
    b.add_argument("what", choices=["retrieval", "answers", "refusal"])
    b.add_argument("--qa", type=Path, required=True)
    b.add_argument("--limit", type=int)
    b.add_argument("--seed-store", type=Path, help="refusal: a second store ...")
    b.add_argument("--seed-qa", type=Path, help="refusal: ... and its questions")
    b.add_argument("--set", action="append", metavar="FIELD=VALUE", type=search_override, default=[],
                   help="retrieval: override a SearchConfig field, e.g. --set rrf_k=60 --set sentence_weight=0")
    b.add_argument("--dump", type=Path, help="refusal: write (evidence, answerable, features) per question")
    b.set_defaults(run=cmd_bench_answers)
    t = which.add_parser("time", help="choose the TimePolicy weights, or time the search with and without it")
    what = t.add_subparsers(dest="time", required=True)
    w = what.add_parser("weights", help="hit@5 and current_hit@5 of time policies on BM25 (no embedding)")
    w.add_argument("articles", type=Path)
    w.add_argument("questions", type=Path)
    w.add_argument("--policy", action="store_true", help="score only the default TimePolicy (no grid)")
    w.add_argument("--grid", nargs="*", choices=["recent_days", "recent_weight", "period_weight", "recent_with_period"],
                   help="vary only these knobs (the others at their TimePolicy defaults)")
    w.set_defaults(run=cmd_bench_time_weights)
    pol = what.add_parser("policies", help="hit@k and current_hit@k of the full search on a store, per time policy")
    pol.add_argument("store", type=Path)
    pol.add_argument("questions", type=Path)
    pol.add_argument("--policy", action="append", type=time_policy_fields, default=[], metavar="JSON",
                     help='TimePolicy fields to change, e.g. \'{"recent_weight": 1.5}\' (repeatable); '
                          "the default policy and no as_of are always scored")
    pol.add_argument("--ceiling", action="store_true", help="also the share of questions a current passage answers")
    pol.set_defaults(run=cmd_bench_time_policies)
    lat = what.add_parser("latency", help="search latency with and without the time scope on a store")
    lat.add_argument("store", type=Path)
    lat.add_argument("questions", type=Path)
    lat.add_argument("--limit", type=int, default=200)
    lat.set_defaults(run=cmd_bench_time_latency)
    b = which.add_parser("load", help="latency of POST /api/ask with concurrent clients (docs/ui.md)")
    b.add_argument("--url", help="a running server; default: start one in-process on --store")
    b.add_argument("--store", type=Path, help="store folder for the in-process server")
    b.add_argument("--clients", type=int, nargs="+", default=[1, 20])
    b.add_argument("--requests", type=int, default=40, help="requests per concurrency level (default 40)")
    b.add_argument("--token", default="", help="bearer token when the API requires one")
    load = b.add_mutually_exclusive_group()
    load.add_argument("--ingest", nargs="+", metavar="INPUT", help="measure again during an in-server ingest of INPUT")
    load.add_argument("--cli-ingest", nargs="+", metavar="INPUT",
                      help="measure again during `newsbot ingest INPUT` on --store, in another process")
    b.add_argument("--ingest-alone", type=float, default=30.0, metavar="S",
                   help="with --ingest: then watch the ingest alone for S seconds (its pace without questions)")
    b.set_defaults(run=cmd_bench_load)


def search_override(text: str) -> tuple[str, object]:
    """``FIELD=VALUE`` of a :class:`SearchConfig` field, the value converted to the field's type."""
    from bot.retriever import SearchConfig

    name, sep, value = text.partition("=")
    types: dict[str, type] = {f.name: type(f.default) for f in fields(SearchConfig)}
    if not sep or name not in types:
        raise argparse.ArgumentTypeError(f"'{text}': write FIELD=VALUE with FIELD one of {', '.join(types)}")
    try:
        return name, types[name](value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': {name} takes a {types[name].__name__}") from None


def cmd_bench_answers(args) -> int:
    from dataclasses import replace

    from bot.retriever import SearchConfig
    from evaluation import answer_bench as ab
    from evaluation.qa import load_qa

    settings = settings_from_args(args)
    require_store(settings)
    store = settings.store
    items = load_qa(args.qa, args.limit)
    if args.what == "retrieval":
        result = ab.bench_retrieval(store, items, replace(SearchConfig(), **dict(args.set))).to_dict()
    elif args.what == "answers":
        result = ab.bench_answers(store, items).to_dict()
    else:
        configs: dict = {}
        conf = ab.confidences(store, items, configs)
        if args.seed_store and args.seed_qa:
            conf += ab.confidences(args.seed_store, load_qa(args.seed_qa))
        refusal = ab.bench_refusal(conf, configs)
        if args.dump:
            args.dump.write_text(json.dumps([[c.evidence, c.answerable, c.features] for c in conf]), encoding="utf-8")
        result = refusal.to_dict()
    print(json.dumps(result, indent=1))
    return 0


def cmd_bench_time_weights(args) -> int:
    from evaluation.time_bench import score_policies

    print("| policy | hit@5 | current_hit@5 |\n|---|---:|---:|")
    score_policies(args.articles, args.questions, default_only=args.policy, vary=args.grid,
                   on_start=lambda chunks, questions: _log(f"{chunks} chunks, {questions} questions"),
                   on_score=lambda s: print(f"| {s.name} | {s.hit} | {s.current_hit} |", flush=True))
    return 0


def time_policy_fields(text: str) -> dict:
    """A ``--policy`` value: a JSON object of :class:`~bot.news_time.TimePolicy` fields."""
    from bot.news_time import TimePolicy

    try:
        fields = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    unknown = set(fields) - set(TimePolicy.__dataclass_fields__) if isinstance(fields, dict) else {"(not an object)"}
    if unknown:
        raise argparse.ArgumentTypeError(f"not TimePolicy fields: {', '.join(sorted(unknown))}")
    return fields


def cmd_bench_time_policies(args) -> int:
    from evaluation.time_bench import DEPTHS, current_ceiling, score_store_policies

    require_store(settings_from_args(args))
    cols = " | ".join(f"hit@{k} | current_hit@{k}" for k in DEPTHS)
    print(f"| policy | {cols} |\n|---|" + "---:|" * (2 * len(DEPTHS)))

    def show(s) -> None:
        name = "no as_of" if s.policy is None else (json.dumps(s.policy) if s.policy else "default TimePolicy")
        print(f"| {name} | " + " | ".join(f"{s.hits[k]} | {s.current[k]}" for k in DEPTHS) + " |", flush=True)

    score_store_policies(args.store, args.questions, [None, {}, *args.policy], on_score=show)
    if args.ceiling:
        reach = current_ceiling(args.store, args.questions)
        print(f"current passage holding an answer anywhere in the store: {reach['any']}")
        if reach["own"] is not None:
            print(f"current passage holding an answer in one of the question's own articles: {reach['own']}")
    return 0


def cmd_bench_time_latency(args) -> int:
    from evaluation.time_bench import search_latency

    require_store(settings_from_args(args))
    print(json.dumps(search_latency(args.store, args.questions, args.limit)))
    return 0


def cmd_bench_load(args) -> int:
    from bot.errors import BenchmarkError
    from evaluation.loadtest import IngestLoad, measure

    if (args.ingest or args.cli_ingest) and (args.url or not args.store):
        raise BenchmarkError("--ingest and --cli-ingest need --store (an in-process server), not --url")
    server = ctx = None
    url = args.url
    if not url:
        from bot.runtime import Runtime

        from .context import ServerContext
        from .server import BackgroundServer, create_app
        from .settings import Settings

        overrides = {"rate_limit_per_minute": 1_000_000} | ({"store": args.store} if args.store else {})
        settings = Settings(**overrides)
        require_store(settings)
        ctx = ServerContext(settings, Runtime.from_settings(settings))
        server = BackgroundServer(create_app(settings, context=ctx)).start()
        url = server.url
    ingest = None
    if args.ingest and ctx is not None:  # --ingest has a store and no --url: the server is ours
        ingest = IngestLoad(args.ingest, start_ingest=ctx.ingests.start, stored=ctx.bot.store.count)
    elif args.cli_ingest:
        ingest = IngestLoad(args.cli_ingest, store=args.store)
    try:
        measure(url, args.clients, args.requests, args.token, ingest, ingest_alone=args.ingest_alone)
    finally:
        if server is not None:
            server.stop()
    return 0


# ---- workers: one measurement in a fresh process ------------------------------------------------

def _register_workers(which) -> None:
    t = which.add_parser("query-tier", help="(internal) measure one tier store in this process, print JSON")
    t.add_argument("--store", type=Path, required=True)
    t.add_argument("--qa", type=Path, required=True)
    t.add_argument("--questions", type=int, default=200)
    t.add_argument("-k", type=int, default=5)
    t.add_argument("--embedder", default="", help="default: the one the store was built with")
    t.set_defaults(run=cmd_query_tier)
    t = which.add_parser("lexical-backend", help="(internal) build and query one BM25 backend, print JSON")
    t.add_argument("backend")
    t.add_argument("tokens", type=Path)
    t.add_argument("work", type=Path)
    t.add_argument("qa", type=Path)
    t.add_argument("questions", type=int)
    t.set_defaults(run=cmd_lexical_backend)


def cmd_query_tier(args) -> int:
    from evaluation.benchmarks import measure_tier

    print(json.dumps(measure_tier(args.store, args.qa, args.questions, args.k, args.embedder)))
    return 0


def cmd_lexical_backend(args) -> int:
    from evaluation.lexical_bench import measure_backend

    print(json.dumps(measure_backend(args.backend, args.tokens, args.work, args.qa, args.questions)))
    return 0


def register_commands(sub, common: argparse.ArgumentParser) -> None:
    """Add ``eval`` and ``bench ...`` to the ``newsbot`` sub-commands ``sub``; ``common`` holds the
    options every command shares (store, Chroma URL, embedder)."""
    _register_eval(sub, common)
    bench = sub.add_parser("bench", help="benchmarks: ingest throughput, query latency and memory vs size, "
                                         "answers, time weights, load")
    which = bench.add_subparsers(dest="bench", required=True)
    _register_store_benches(which, common)
    _register_answer_benches(which, common)
    _register_workers(which)
