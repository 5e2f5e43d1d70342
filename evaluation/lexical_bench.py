"""``newsbot bench lexical``: the BM25 index candidates compared on the same analysed chunks.

Three indexes of the same pre-analysed tokens (:func:`ingest.lexical.chunk_tokens`): ``bm25s``
(rebuilt whole on every write, as the store did before), SQLite FTS5 (standard library,
incremental, ``bm25()`` ranking) and tantivy (Lucene-style segments; the store's index). For a
tier of the query benchmark (:func:`evaluation.benchmarks.tier_chunks`), each is measured in its own
process: build time, the cost of writing one more chunk (durably), query latency (top 30, the
retriever's depth), RSS added by opening and querying it, and disk. BM25-alone hit@5 is measured
on the real chunks of the source store with the QA file's answers.
"""
from __future__ import annotations

import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.answermatch import contains_answer
from bot.errors import BenchmarkError
from ingest.lexical import chunk_tokens, tokenize_query

from .metrics import percentile
from .qa import load_qa

BACKENDS = ("bm25s", "fts5", "tantivy")


class Bm25sIndex:
    """bm25s: a sparse score matrix, rebuilt from every chunk's tokens on each write."""

    def __init__(self, folder: Path):
        self.folder = folder

    def build(self, rows: list[tuple[str, list[str]]]) -> None:
        import bm25s

        shutil.rmtree(self.folder, ignore_errors=True)
        bm25 = bm25s.BM25()
        bm25.index([toks for _, toks in rows], show_progress=False)
        bm25.save(str(self.folder), show_progress=False)
        (self.folder / "ids.json").write_text(json.dumps([cid for cid, _ in rows]))

    def open(self) -> None:
        import bm25s

        self.bm25 = bm25s.BM25.load(str(self.folder), show_progress=False)
        self.ids = json.loads((self.folder / "ids.json").read_text())
        self.vocab = set(self.bm25.vocab_dict)

    def search(self, toks: list[str], k: int) -> list[str]:
        toks = [t for t in toks if t in self.vocab]
        if not toks:
            return []
        docs, scores = self.bm25.retrieve([toks], k=min(k, len(self.ids)), show_progress=False, n_threads=1)
        return [self.ids[int(d)] for d, s in zip(docs[0], scores[0]) if s > 0]


class Fts5Index:
    """SQLite FTS5 over the tokens joined by spaces, ranked by its ``bm25()``."""

    def __init__(self, folder: Path):
        self.path = folder / "fts5.db"

    def build(self, rows: list[tuple[str, list[str]]]) -> None:
        shutil.rmtree(self.path.parent, ignore_errors=True)
        self.path.parent.mkdir(parents=True)
        db = sqlite3.connect(self.path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE VIRTUAL TABLE chunks USING fts5(id UNINDEXED, body, "
                   "tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")")
        self._insert(db, rows)
        db.close()

    @staticmethod
    def _insert(db, rows) -> None:
        with db:
            db.executemany("INSERT INTO chunks(id, body) VALUES (?, ?)", ((cid, " ".join(t)) for cid, t in rows))

    def add(self, rows) -> None:
        db = sqlite3.connect(self.path)
        db.execute("PRAGMA synchronous=FULL")
        self._insert(db, rows)
        db.close()

    def open(self) -> None:
        self.db = sqlite3.connect(self.path)

    def search(self, toks: list[str], k: int) -> list[str]:
        if not toks:
            return []
        match = " OR ".join('"%s"' % t for t in toks)
        return [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE chunks MATCH ? ORDER BY rank LIMIT ?",
                                              (match, k))]


class TantivyIndex:
    """The store's index (:class:`ingest.lexical.LexicalIndex`)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def build(self, rows) -> None:
        from ingest.lexical import LexicalIndex

        LexicalIndex.create(self.folder).apply_tokens(((cid, t, {}) for cid, t in rows), [], 1, reset=True, bulk=True)

    def add(self, rows) -> None:
        from ingest.lexical import LexicalIndex

        LexicalIndex.open(self.folder).apply_tokens([(cid, t, {}) for cid, t in rows], [], 2)

    def open(self) -> None:
        from ingest.lexical import LexicalIndex

        self.index = LexicalIndex.open(self.folder)

    def search(self, toks: list[str], k: int) -> list[str]:
        return [cid for cid, _ in self.index.search_tokens(toks, k)]


def _index(backend: str, folder: Path):
    return {"bm25s": Bm25sIndex, "fts5": Fts5Index, "tantivy": TantivyIndex}[backend](folder / backend)


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


def _rows(chunks) -> list[tuple[str, list[str]]]:
    return [(c.id, chunk_tokens(c.text, c.metadata)) for c in chunks]


def measure_backend(backend: str, tokens_file: Path, work: Path, qa: Path, questions: int) -> dict:
    """In this process: build, write one chunk, open and query one backend."""
    rows = [tuple(json.loads(line)) for line in tokens_file.read_text(encoding="utf-8").splitlines()]
    index = _index(backend, work)
    t0 = time.perf_counter()
    index.build(rows)
    build_s = time.perf_counter() - t0
    new = [(rows[0][0] + "~new", rows[0][1])]
    t0 = time.perf_counter()
    if backend == "bm25s":  # bm25s cannot add: the whole corpus is re-analysed and re-indexed
        texts = json.loads((tokens_file.parent / "texts.json").read_text(encoding="utf-8"))
        index.build([(cid, chunk_tokens(text, meta)) for cid, text, meta in texts] + new)
    else:
        index.add(new)
    write_s = time.perf_counter() - t0
    del rows
    queries = [tokenize_query(it.question, ["fr", "en"]) for it in load_qa(qa, questions)]
    before = _rss_mb()
    index.open()
    times = []
    for _ in range(2):  # the second pass is reported (warm caches, as in serving)
        times = []
        for toks in queries:
            t = time.perf_counter()
            index.search(toks, 30)
            times.append((time.perf_counter() - t) * 1000)
    folder = index.folder if hasattr(index, "folder") else index.path.parent
    return {"backend": backend, "chunks": _count(tokens_file),
            "build_s": round(build_s, 2), "one_chunk_write_s": round(write_s, 3),
            "query_ms": {"p50": round(percentile(times, 50), 2), "p95": round(percentile(times, 95), 2)},
            "rss_added_mb": round(_rss_mb() - before, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "disk_mb": round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6, 1)}


def _count(tokens_file: Path) -> int:
    with open(tokens_file, encoding="utf-8") as f:
        return sum(1 for _ in f)


def hit_at_5(chunks, qa: Path, backend: str) -> float:
    """BM25-alone hit@5 over ``chunks``: a hit is a top-5 chunk containing one of the answers."""
    texts = {c.id: c.text for c in chunks}
    items = load_qa(qa)
    langs = sorted({c.metadata.get("lang", "") for c in chunks} & {"fr", "en", "de", "es", "it", "pt", "nl"}) or ["fr", "en"]
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-lexical-") as tmp:
        index = _index(backend, Path(tmp))
        index.build(_rows(chunks))
        index.open()
        hits = 0
        for it in items:
            top = index.search(tokenize_query(it.question, langs), 5)
            hits += any(contains_answer(texts[cid], it.answers) for cid in top)
    return round(100 * hits / len(items), 2)


def bench_lexical(chunks: list, tier_slice, size: int, work: Path, qa: Path, questions: int, log=print) -> dict:
    """Every backend on the ``size``-chunk tier (one process each), and hit@5 on the real ``chunks``
    (the source store's); ``tier_slice(start, stop)`` gives the tier's chunks ``start..stop``."""
    work = Path(work) / f"lexical-{size}"
    work.mkdir(parents=True, exist_ok=True)
    tokens_file = work / "tokens.jsonl"
    texts = []
    t0 = time.perf_counter()
    with open(tokens_file, "w", encoding="utf-8") as f:
        for a in range(0, size, 5000):
            part = tier_slice(a, min(a + 5000, size))
            for c in part:
                f.write(json.dumps([c.id, chunk_tokens(c.text, c.metadata)], ensure_ascii=False) + "\n")
                texts.append((c.id, c.text, {"title": c.metadata.get("title", ""), "lang": c.metadata.get("lang", "")}))
    analyse_s = time.perf_counter() - t0
    (work / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    del texts
    log(f"{size} chunks analysed in {analyse_s:.1f} s")
    results = []
    for backend in BACKENDS:
        cmd = [sys.executable, "-m", "ui.cli", "bench", "lexical-backend", backend, str(tokens_file), str(work), str(qa),
               str(questions)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BenchmarkError(f"{backend}: measuring process failed:\n{proc.stderr[-2000:]}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        res["hit_at_5_source"] = hit_at_5(chunks, qa, backend)
        log(json.dumps(res))
        results.append(res)
    shutil.rmtree(work, ignore_errors=True)
    return {"size": size, "analyse_all_s": round(analyse_s, 1), "source_chunks": len(chunks), "backends": results}

