"""The ``newsbot`` command: ingest, stats, articles, delete, reindex, ask, serve, watch, and (registered
by :mod:`ui.eval_commands`) eval and bench. Each command module adds its sub-commands through a
``register_commands(sub, common)`` hook; this one holds ``main`` and maps errors to exit statuses.

Heavy modules (torch, gradio) are imported only by the commands that need them, so
``newsbot ask`` starts fast with the default embedder.
"""
from __future__ import annotations

import argparse
import json
import sys

from .cli_common import common_parser, require_store, settings_from_args


def register_commands(sub, common: argparse.ArgumentParser) -> None:
    """The store and answering commands; ``ui.eval_commands`` registers ``eval`` and ``bench`` the same way."""
    p = sub.add_parser("ingest", parents=[common], help="add files, folders, URLs or feeds to the store")
    p.add_argument("inputs", nargs="+", help="files (.txt .md .html .json .jsonl .xml/.rss/.atom), folders, http(s) URLs")
    p.add_argument("--chunk-size", type=int, help="target chunk size in characters")
    p.add_argument("--chunk-overlap", type=int, help="overlap between chunks in characters")
    p.add_argument("--max-file-bytes", type=int, help="skip inputs larger than this")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=cmd_ingest)
    for name, run, help_text in (("stats", cmd_stats, "counts of articles and chunks"),
                                 ("articles", cmd_articles, "list the stored articles")):
        p = sub.add_parser(name, parents=[common], help=help_text)
        p.add_argument("--json", action="store_true")
        p.set_defaults(run=run)
    p = sub.add_parser("delete", parents=[common], help="remove an article by id")
    p.add_argument("ids", nargs="+")
    p.set_defaults(run=cmd_delete)
    p = sub.add_parser("reindex", parents=[common], help="re-embed every chunk with the configured embedder")
    p.set_defaults(run=cmd_reindex)

    p = sub.add_parser("ask", parents=[common], help="ask a question")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--source", action="append", help="only articles from this outlet (repeatable)")
    p.add_argument("--since", help="only articles published on or after this date (YYYY-MM-DD)")
    p.add_argument("--until", help="only articles published on or before this date (YYYY-MM-DD)")
    p.add_argument("--lang", help="only articles in this language (e.g. fr)")
    p.add_argument("--history", help="JSON list of earlier turns [{\"question\", \"answer\"}] for a follow-up")
    p.add_argument("--as-of", help="ask as of this date (YYYY-MM-DD; default today): later articles are never cited")
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("serve", parents=[common], help="start the web chat, REST API and widget")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--watch", nargs="+", metavar="FEED", help="also poll these RSS/Atom feeds (URLs or files) into the store")
    p.add_argument("--every", type=parse_interval, default="15m", help="polling period of --watch (e.g. 30s, 15m, 1h)")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("watch", parents=[common], help="poll RSS/Atom feeds and ingest new and changed items")
    p.add_argument("feeds", nargs="+", metavar="FEED_OR_URL", help="feed URLs (or feed files)")
    p.add_argument("--every", type=parse_interval, default="15m", help="polling period (e.g. 30s, 15m, 1h; default 15m)")
    p.add_argument("--once", action="store_true", help="poll every feed once and exit")
    p.set_defaults(run=cmd_watch)


def build_parser() -> argparse.ArgumentParser:
    from .eval_commands import register_commands as register_eval_commands

    common = common_parser()
    parser = argparse.ArgumentParser(prog="newsbot", description="Answers questions about news articles, with cited passages.")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in (register_commands, register_eval_commands):
        register(sub, common)
    return parser




def _open_store(settings):
    from ingest.store import Store

    return Store.open(settings)


def cmd_ingest(args) -> int:
    from ingest.pipeline import Ingester
    from ingest.questions_first import lower_thread_priority

    settings = settings_from_args(args)
    lower_thread_priority(settings.ingest_niceness)  # a server answering on this machine goes first
    store = _open_store(settings)
    try:
        report = Ingester(store, settings).ingest(args.inputs, progress=False if args.no_progress else None)
    finally:
        store.close()
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(report.summary())
    return 1 if report.errors else 0


def _open_existing_store(args):
    settings = settings_from_args(args)
    require_store(settings)
    return _open_store(settings)


def cmd_stats(args) -> int:
    store = _open_existing_store(args)
    stats = store.stats()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
    else:
        for k, v in stats.items():
            print(f"{k}: {v}")
    return 0


def cmd_articles(args) -> int:
    store = _open_existing_store(args)
    arts = store.articles()
    if args.json:
        print(json.dumps(arts, ensure_ascii=False))
    else:
        for a in arts:
            print(f"{a['id']}\t{a['published'] or '-'}\t{a['source']}\t{a['title']}")
    return 0


def cmd_delete(args) -> int:
    store = _open_existing_store(args)
    status = 0
    try:
        for aid in args.ids:
            n = store.delete_article(aid)
            if n:
                print(f"{aid}: {n} chunks removed")
            else:
                print(f"{aid}: no such article in {store.location}", file=sys.stderr)
                status = 1
    finally:
        store.close()
    return status


def cmd_reindex(args) -> int:
    from tqdm import tqdm

    from ingest.embedders import DEFAULT_EMBEDDER, make_embedder
    from ingest.reindex import reindex

    settings = settings_from_args(args)
    require_store(settings)
    embedder = make_embedder(settings.embedder or DEFAULT_EMBEDDER, settings.model_load_timeout)
    with tqdm(unit=" chunks", desc="reindex", file=sys.stderr, disable=None) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        n = reindex(settings.store, embedder, settings.chroma_url, progress=progress)
    print(f"re-embedded {n} chunks with {embedder.name}")
    return 0


def cmd_ask(args) -> int:
    from bot.errors import QuestionError
    from bot.followup import turns_from
    from bot.news_time import parse_as_of
    from bot.runtime import Runtime

    history = None
    if args.history:
        try:
            history = turns_from(json.loads(args.history))
        except ValueError as exc:
            raise QuestionError(f"--history is not a JSON list of {{\"question\", \"answer\"}} objects ({exc})") from None
    as_of = parse_as_of(args.as_of)
    settings = settings_from_args(args)
    require_store(settings)
    runtime = Runtime.from_settings(settings)
    try:
        _ask(runtime.bot, args, history, as_of)
    finally:
        runtime.store.close()
    return 0


def _ask(bot, args, history, as_of) -> None:
    """Answer ``args.question`` on stdout: one JSON object (``--json``), else the words as they
    come and then the rest of the answer."""
    from bot.answer_types import Filters
    from bot.events import AnswerEvent, TokenEvent

    filters = Filters.from_dict({"source": args.source, "since": args.since, "until": args.until, "lang": args.lang})
    if args.json:
        print(json.dumps(bot.ask(args.question, history=history, filters=filters, k=args.k, as_of=as_of).to_dict(),
                         ensure_ascii=False))
        return
    answer = None
    streamed = ""
    for event in bot.stream(args.question, history=history, filters=filters, k=args.k, as_of=as_of):
        match event:
            case TokenEvent(text=text):
                print(text, end="", flush=True)
                streamed += text
            case AnswerEvent(answer=final):
                answer = final
    if answer is None:
        raise RuntimeError("the answer stream ended without its answer")
    _print_answer(answer, streamed)


def _print_answer(answer, streamed: str) -> None:
    """The rest of a readable answer after its streamed words: the short answer first, the final
    text when verification changed what was streamed, the notice, then each citation."""
    if streamed:
        print()
    if answer.short_answer and not answer.refused:       # the short answer first, set apart
        when = f" ({answer.short_date})" if answer.short_date else ""
        print(f"» {answer.short_answer}{when}")
        print()
    if streamed.strip() != answer.answer:
        if streamed:
            print()  # verification changed the streamed text, or it was replaced: show the final answer
        print(answer.answer)
    if answer.notice:
        print(f"({answer.notice})")
    for c in answer.citations:
        print()
        print(f"[{c.n}] {c.title} — {c.source}{', ' + c.published if c.published else ''}")
        if c.url:
            print(f"    {c.url}")
        for s, e in c.highlight:
            print(f"    « {c.passage[s:e]} »")
        for d in c.dates:
            print(f"    {d['text']} = {d['value']}")


def cmd_serve(args) -> int:
    from bot.runtime import Runtime
    from ui.server import serve

    settings = settings_from_args(args)
    if not args.watch:  # with --watch it fills the store from its feeds, as `newsbot watch` does
        require_store(settings)
        serve(settings, host=args.host, port=args.port)
        return 0
    import threading

    runtime = Runtime.from_settings(settings)
    # The feeds are ingested in the background of the questions: they go first.
    watcher = runtime.watcher(args.watch, every=args.every)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), name="newsbot-watch", daemon=True)
    thread.start()
    try:
        serve(settings, host=args.host, port=args.port, runtime=runtime)
    finally:
        stop.set()
        thread.join(30)
    return 0


def cmd_watch(args) -> int:
    import threading

    from bot.runtime import Runtime

    settings = settings_from_args(args)
    # This process answers no question: the feeds are ingested at once, with no bot.
    watcher = Runtime.from_settings(settings).watcher(args.feeds, every=args.every, in_background=False)
    if args.once:
        return 0 if all(r.ok for r in watcher.poll_due(force=True)) else 1
    print(f"newsbot watch: polling {len(args.feeds)} feed(s) every {args.every:g} s into {settings.store}; "
          "Ctrl-C stops", file=sys.stderr, flush=True)
    try:
        watcher.run(threading.Event())
    except KeyboardInterrupt:
        watcher.save()
        print("newsbot watch: stopped; seen items are remembered in the store", file=sys.stderr)
    return 0


def parse_interval(text: str) -> float:
    """Seconds of ``30s``, ``15m``, ``1h`` or a plain number of seconds (at least 1 s)."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(text))
    if not m or float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)] < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a polling period: write e.g. 30s, 15m or 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


_CLOSE_THEIR_STORE = {"ingest", "delete", "ask"}  # one-shot commands, timed from the shell


# What ``pip install 'newsbot[eval]'`` adds (pyproject.toml), by top-level module name.
_EVAL_EXTRA = {"bm25s", "langchain_chroma", "langchain_text_splitters", "matplotlib"}
_EVAL_COMMANDS = {"eval", "bench"}


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: this process's own, and then the process ends)."""
    args = build_parser().parse_args(argv)
    if argv is None and args.command in _CLOSE_THEIR_STORE:
        # The command is this process's last work and has closed its store: the objects of the
        # modules it imported are freed by the exit, and the interpreter's last collection over
        # them (0.2 s after importing Chroma) is skipped. Not for a caller that goes on (tests).
        import atexit
        import gc

        atexit.register(gc.freeze)
    from ingest.errors import NewsbotError

    try:
        return args.run(args)
    except ModuleNotFoundError as err:
        if args.command not in _EVAL_COMMANDS or err.name not in _EVAL_EXTRA:
            raise
        print(f"newsbot: `newsbot {args.command}` needs the evaluation extra ({err.name} is missing): "
              "pip install 'newsbot[eval]'", file=sys.stderr)
        return 2
    except NewsbotError as err:  # the one place errors become exit statuses (see bot.errors)
        print(f"newsbot: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("newsbot: interrupted; run the same command again to finish", file=sys.stderr)
        return 130
    except BrokenPipeError:  # whatever read stdout has closed it (`newsbot ask … | head`): no traceback
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit's flush goes nowhere
        return 141


if __name__ == "__main__":
    sys.exit(main())
