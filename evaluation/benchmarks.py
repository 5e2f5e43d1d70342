"""``newsbot bench``: ingest throughput against the embedder alone, and query cost as the store grows.

``bench ingest`` times the full pipeline (load, chunk, embed, upsert, BM25 rebuild) and the
embedder alone on the same chunk texts in the same batches, in wall-clock and CPU time.

``bench query`` builds stores of 1k to 1M chunks from a real store by a deterministic
procedure (:func:`tier_chunks`), in batches that a later run resumes, and measures each in its
own process (``newsbot bench query-tier``): query latency of ``NewsBot.ask`` and of its
parts, peak RSS, and the cost of writing one article (ingest, pick-up by another opening of the
store, delete). The procedure and the results are in docs/benchmarks.md.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bot.errors import BenchmarkError
from ingest.model import Chunk
from ingest.store import LEXICAL_DIR

from .metrics import percentile

NOISE_SIGMA = 0.02  # per-dimension Gaussian noise on copied vectors (norm ~0.4 for 384 dims, cosine ~0.93)
NOISE_SEED = 20240601
TIER_MARKER = "bench-tier.json"


# ---- ingest ------------------------------------------------------------------------------------

def bench_ingest(articles: Path, settings, batch_chunks: int = 32, limit: int | None = None) -> dict:
    """Full-pipeline ingest of ``articles`` into a fresh temporary store vs. the embedder alone."""
    from ingest.chunking import chunk_articles
    from ingest.embedders import DEFAULT_EMBEDDER, make_embedder
    from ingest.loaders import load_input
    from ingest.pipeline import Ingester
    from ingest.sentences import passage_inputs, sentence_method, sentence_spans
    from ingest.store import Store

    embedder = make_embedder(settings.embedder or DEFAULT_EMBEDDER, settings.model_load_timeout)
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-ingest-") as tmp:
        # Both runs see the same articles; the pipeline reads them from a file, as 'newsbot ingest' does.
        source = Path(articles)
        if limit:
            source = Path(tmp) / source.name
            lines = Path(articles).read_text(encoding="utf-8").splitlines()[:limit]
            source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        arts = load_input(str(source), settings, lambda err: None)
        chunks = chunk_articles(arts, settings.chunk_size, settings.chunk_overlap)
        inputs = [passage_inputs(c.metadata.get("title", ""), c.text) for c in chunks]
        texts = [x for x, _ in inputs]
        # The pipeline pools each new chunk's sentence vectors out of the chunk's own pass when the
        # engine does (opt-in), else leaves them to the first question that retrieves the chunk
        # (newsbot ingest). The embedder alone does the same calls per batch on the same texts.
        sentences = [[c.text[a:b] for a, b in sentence_spans(c.text)] for c in chunks]
        pooled = sentence_method(embedder) == "pooled"
        embedder.embed_documents(texts[:batch_chunks])  # load and warm the model outside every timing

        def embed_alone() -> tuple[float, float]:
            w0, c0 = time.perf_counter(), time.process_time()
            for i in range(0, len(texts), batch_chunks):
                if pooled:
                    embedder.embed_with_sentences(texts[i:i + batch_chunks], [sp for _, sp in inputs[i:i + batch_chunks]])
                    continue
                embedder.embed_documents(texts[i:i + batch_chunks])
            return time.perf_counter() - w0, time.process_time() - c0

        # Embedder alone before and after the pipeline, averaged, so a drift in machine load
        # (other processes on shared cores) weighs on both sides alike.
        before = embed_alone()
        store = Store(Path(tmp) / "store", embedder)
        s = settings.model_copy(update={"store": Path(tmp) / "store"})
        w0, c0 = time.perf_counter(), time.process_time()
        report = Ingester(store, s, batch_chunks=batch_chunks).ingest([str(source)], progress=False)
        pipe_wall, pipe_cpu = time.perf_counter() - w0, time.process_time() - c0
        after = embed_alone()
        embed_wall, embed_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    if report.errors or report.chunks_embedded != len(chunks):
        raise BenchmarkError(f"{articles}: the pipeline embedded {report.chunks_embedded} of {len(chunks)} chunks "
                             f"({len(report.errors)} errors: {report.errors[:3]})")
    n = len(chunks)
    embed_inside = report.embed_seconds + report.sentence_seconds
    return {
        "articles": len(arts),
        "chunks": n,
        "sentences": sum(len(x) for x in sentences),
        "embedder": embedder.name,
        "sentence_vectors": "pooled" if pooled else "at the first question",
        "batch_chunks": batch_chunks,
        "embedder_alone": {"seconds": round(embed_wall, 2), "cpu_seconds": round(embed_cpu, 2),
                           "chunks_per_s": round(n / embed_wall, 2),
                           "runs_seconds": [round(before[0], 2), round(after[0], 2)]},
        "pipeline": {"seconds": round(pipe_wall, 2), "cpu_seconds": round(pipe_cpu, 2),
                     "chunks_per_s": round(n / pipe_wall, 2),
                     "embed_seconds_inside": round(embed_inside, 2)},
        # Overhead = extra time the pipeline takes over embedding the same chunks alone.
        "overhead_pct_wall": round(100 * (pipe_wall / embed_wall - 1), 1),
        "overhead_pct_cpu": round(100 * (pipe_cpu / embed_cpu - 1), 1),
        "overhead_pct_inside": round(100 * (report.seconds - embed_inside) / embed_inside, 1),
    }


# ---- query tiers -------------------------------------------------------------------------------

def read_source_chunks(store) -> tuple[list, np.ndarray]:
    """Every chunk of ``store`` sorted by id, with its vectors as one matrix (the tiers' raw material)."""
    rows = sorted(store.iter_chunks(include_embeddings=True), key=lambda r: r[0].id)
    if not rows:
        raise BenchmarkError(f"store {store.location} is empty: ingest the corpus first, or pass --source-store")
    return [ch for ch, _ in rows], np.asarray([v for _, v in rows], dtype=np.float32)


def tier_chunks(chunks: list, vectors: np.ndarray, size: int, start: int = 0, stop: int | None = None):
    """Chunks ``start..stop`` of the ``size``-chunk tier, with vectors: the deterministic procedure.

    Chunk i of the tier is copy ``c = i // n`` of source chunk ``j = i % n`` (sources sorted by id).
    Copy 0 is the real chunk. Copy c >= 1 gets id and article id suffixed ``~c``, text and title
    suffixed `` [copie c]`` (distinct BM25 documents), and vector ``v + N(0, 0.02)`` renormalised,
    the noise drawn for all n sources at once from ``default_rng([20240601, c])``.
    """
    n = len(chunks)
    stop = size if stop is None else min(stop, size)
    out_chunks, out_vecs = [], []
    noise_cache: dict[int, np.ndarray] = {}
    for i in range(start, stop):
        c, j = divmod(i, n)
        ch = chunks[j]
        if c == 0:
            vec = vectors[j]
            out_chunks.append(Chunk(ch.id, ch.metadata.get("article_id", ""), int(ch.metadata.get("index", 0)),
                                    ch.text, int(ch.metadata.get("start", 0)), int(ch.metadata.get("end", 0)),
                                    dict(ch.metadata)))
        else:
            if c not in noise_cache:
                rng = np.random.default_rng([NOISE_SEED, c])
                noise_cache[c] = rng.normal(0.0, NOISE_SIGMA, size=vectors.shape).astype(np.float32)
            vec = vectors[j] + noise_cache[c][j]
            vec = vec / np.linalg.norm(vec)
            meta = dict(ch.metadata, article_id=f"{ch.metadata.get('article_id', '')}~{c}",
                        title=f"{ch.metadata.get('title', '')} [copie {c}]")
            out_chunks.append(Chunk(f"{ch.id}~{c}", meta["article_id"], int(ch.metadata.get("index", 0)),
                                    f"{ch.text} [copie {c}]", int(ch.metadata.get("start", 0)),
                                    int(ch.metadata.get("end", 0)), meta))
        out_vecs.append(vec)
    return out_chunks, out_vecs


def build_tier(folder: Path, size: int, chunks: list, vectors: np.ndarray, embedder, batch: int = 2000,
               log=lambda m: None) -> float:
    """Write the ``size``-chunk tier into an embedded store at ``folder``, in batches of ``batch``
    (each one :meth:`Store.upsert`, which also updates the BM25 index); returns the seconds spent.

    A complete tier (``bench-tier.json`` matching the recipe) is kept; a partial one (progress in
    ``bench-tier-progress.json``) is resumed after its last written batch, its seconds added up."""
    from ingest.store import Store

    marker, progress = folder / TIER_MARKER, folder / "bench-tier-progress.json"
    recipe = {"size": size, "sources": len(chunks), "sigma": NOISE_SIGMA, "seed": NOISE_SEED,
              "first_id": chunks[0].id, "last_id": chunks[-1].id}
    if marker.exists() and json.loads(marker.read_text()) == recipe:
        return 0.0
    state = json.loads(progress.read_text()) if progress.exists() else {}
    if state.get("recipe") != recipe:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        state = {"recipe": recipe, "done": 0, "seconds": 0.0}
    t0 = time.perf_counter()
    store = Store(folder, embedder)
    for a in range(state["done"], size, batch):
        cs, vs = tier_chunks(chunks, vectors, size, a, a + batch)
        store.upsert(cs, [v.tolist() for v in vs])
        state.update(done=a + len(cs), seconds=state["seconds"] + time.perf_counter() - t0)
        t0 = time.perf_counter()
        progress.write_text(json.dumps(state))
        if (a // batch) % 25 == 0:
            log(f"tier {size}: {state['done']:,} chunks written, {state['seconds']:.0f} s")
    if store.count() != size or len(store.lexical()) != size:
        raise BenchmarkError(f"tier {folder} holds {store.count()} chunks ({len(store.lexical())} in BM25), expected {size}")
    marker.write_text(json.dumps(recipe))
    return state["seconds"] + time.perf_counter() - t0


# A short article written for the benchmark (not from any corpus): what one write adds.
BENCH_ARTICLE = {
    "id": "bench-one-article", "title": "Crue exceptionnelle de la Vézère à Montignac",
    "source": "newsbot-bench", "published": "2026-11-20", "lang": "fr",
    "text": ("La Vézère est sortie de son lit dans la nuit de mardi à mercredi à Montignac, après trois jours "
             "de pluies continues sur le Limousin. L'eau a atteint 5,20 mètres sous le pont, un niveau "
             "inédit depuis la crue de 1960.\n\nLes pompiers ont évacué quarante-deux habitants des quartiers "
             "bas et la grotte de Lascaux IV a fermé ses portes par précaution. La préfecture de la Dordogne "
             "a placé six communes en vigilance rouge jusqu'à jeudi soir."),
}
BENCH_ARTICLE_PROBE = "Vézère Montignac crue"


def measure_one_article_write(store, settings) -> dict:
    """Ingest :data:`BENCH_ARTICLE` into ``store`` (model loaded), time how long a second opening
    of the store (a serving process) takes to find it by BM25, then delete it (the tier is left
    as it was)."""
    from ingest.pipeline import Ingester
    from ingest.store import Store

    server = Store(store.path, store.embedder)
    server.lexical()
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-article-") as tmp:
        path = Path(tmp) / "article.jsonl"
        path.write_text(json.dumps(BENCH_ARTICLE, ensure_ascii=False) + "\n", encoding="utf-8")
        t0 = time.perf_counter()
        report = Ingester(store, settings.model_copy(update={"store": store.path})).ingest([str(path)], progress=False)
        t1 = time.perf_counter()
        hits = server.lexical().search(BENCH_ARTICLE_PROBE, 5)
        t2 = time.perf_counter()
        found = any(ch.metadata.get("article_id") == BENCH_ARTICLE["id"] for ch in server.get_chunks([c for c, _ in hits]))
        removed = store.delete_article(BENCH_ARTICLE["id"])
        t3 = time.perf_counter()
    if report.errors or not report.chunks_embedded or removed != report.chunks_embedded:
        raise BenchmarkError(f"one-article write: {report.summary()}; {removed} chunks deleted")
    return {"chunks": report.chunks_embedded, "ingest_s": round(t1 - t0, 3),
            "embed_s": round(report.embed_seconds + report.sentence_seconds, 3),
            "pickup_by_other_opening_s": round(t2 - t1, 3), "found_by_bm25_there": found,
            "delete_s": round(t3 - t2, 3)}


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure_tier(store_dir: Path, qa: Path, questions: int, k: int, embedder_name: str) -> dict:
    """In this process: open the tier's store, ask the questions, time the parts; peak RSS at the end."""
    from bot.newsbot import NewsBot
    from bot.settings import BotSettings

    from .qa import load_qa

    items = load_qa(qa, questions)
    settings = BotSettings(store=store_dir, embedder=embedder_name)
    t0 = time.perf_counter()
    bot = NewsBot.from_settings(settings)
    rss_model_and_client = _rss_mb()
    bot.ask(items[0].question, k=k)  # loads the BM25 index and Chroma's HNSW index
    open_seconds = time.perf_counter() - t0
    # Two passes: the first may fill caches derived per retrieved chunk (e.g. sentence vectors
    # kept beside the store); the second is the steady state of a store that has served questions.
    cold, ask, embed, dense, lexical = [], [], [], [], []
    for times in (cold, ask):
        for it in items:
            t = time.perf_counter()
            bot.ask(it.question, k=k)
            times.append((time.perf_counter() - t) * 1000)
    store = bot.store
    for it in items:
        t = time.perf_counter()
        vec = store.embedder.embed_query(it.question)
        t1 = time.perf_counter()
        store.dense_search(vec, 30)
        t2 = time.perf_counter()
        store.lexical().search(it.question, 30)
        t3 = time.perf_counter()
        embed.append((t1 - t) * 1000)
        dense.append((t2 - t1) * 1000)
        lexical.append((t3 - t2) * 1000)

    def stats(xs):
        return {"p50": round(percentile(xs, 50), 2), "p95": round(percentile(xs, 95), 2)}

    peak_queries = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    write = measure_one_article_write(store, settings)
    return {
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "configs": bot.configs(),
        "chunks": store.count(),
        "questions": len(items),
        "k": k,
        "open_and_first_query_s": round(open_seconds, 2),
        "ask_cold_ms": stats(cold),
        "ask_ms": stats(ask),
        "embed_query_ms": stats(embed),
        "dense_search_ms": stats(dense),
        "bm25_search_ms": stats(lexical),
        "rss_after_open_mb": round(rss_model_and_client, 1),
        "peak_rss_mb": round(peak_queries, 1),
        "peak_rss_with_write_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "one_article_write": write,
    }


def time_cli_one_article(folder: Path, embedder_name: str) -> dict:
    """``newsbot ingest`` of :data:`BENCH_ARTICLE` into the tier as a fresh process (start, model
    load and write), then ``newsbot delete`` of it: the cost a one-article write has from the shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(TQDM_DISABLE="1", NEWSBOT_EMBEDDER=embedder_name)
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-article-") as tmp:
        path = Path(tmp) / "article.jsonl"
        path.write_text(json.dumps(BENCH_ARTICLE, ensure_ascii=False) + "\n", encoding="utf-8")
        out = {}
        for name, args in (("ingest", ["ingest", str(path), "--json"]), ("delete", ["delete", BENCH_ARTICLE["id"]])):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "ui.cli", *args, "--store", str(folder)],
                                  capture_output=True, text=True, env=env)
            out[f"{name}_process_s"] = round(time.perf_counter() - t0, 2)
            if proc.returncode != 0:
                raise BenchmarkError(f"newsbot {name} into {folder} failed:\n{proc.stderr[-2000:]}")
            if name == "ingest":
                out["ingest_report_s"] = round(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"], 2)
    return out


def bench_query(source_store, work: Path, tiers: list[int], qa: Path, questions: int, k: int,
                embedder_name: str, log=print) -> dict:
    """Build each tier (once) and measure it in a fresh process."""
    chunks, vectors = read_source_chunks(source_store)
    results = []
    for size in tiers:
        folder = Path(work) / f"tier-{size}"
        built = build_tier(folder, size, chunks, vectors, source_store.embedder, log=log)
        log(f"tier {size}: {'built in %.0f s' % built if built else 'reused'} at {folder}; measuring ...")
        cmd = [sys.executable, "-m", "ui.cli", "bench", "query-tier", "--store", str(folder), "--qa", str(qa),
               "--questions", str(questions), "-k", str(k), "--embedder", embedder_name]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, TQDM_DISABLE="1"))
        if proc.returncode != 0:
            raise BenchmarkError(f"tier {size}: measuring process failed:\n{proc.stderr[-2000:]}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        res["build_seconds"] = round(built, 1)
        res["one_article_cli"] = time_cli_one_article(folder, embedder_name)
        res["disk_mb"] = {"chroma": _folder_mb(folder / "chroma"), "lexical": _folder_mb(folder / LEXICAL_DIR)}
        results.append(res)
        log(json.dumps(res))
    return {"source_chunks": len(chunks), "tiers": results, "noise_sigma": NOISE_SIGMA, "seed": NOISE_SEED}


def _folder_mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / 1e6, 1)


def format_query_table(result: dict) -> str:
    lines = ["| chunks | ask p50 ms | ask p95 ms | embed p50 | dense p50 / p95 | BM25 p50 / p95 "
             "| open + 1st query s | peak RSS MB | one-article ingest s (in process / CLI) | picked up by a 2nd opening s "
             "| build s |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t in result["tiers"]:
        w, cli = t.get("one_article_write", {}), t.get("one_article_cli", {})
        lines.append(f"| {t['chunks']:,} | {t['ask_ms']['p50']} | {t['ask_ms']['p95']} | {t['embed_query_ms']['p50']} | "
                     f"{t['dense_search_ms']['p50']} / {t['dense_search_ms']['p95']} | "
                     f"{t['bm25_search_ms']['p50']} / {t['bm25_search_ms']['p95']} | "
                     f"{t['open_and_first_query_s']} | {t['peak_rss_mb']} | {w.get('ingest_s')} / "
                     f"{cli.get('ingest_process_s')} | {w.get('pickup_by_other_opening_s')} | {t.get('build_seconds')} |")
    return "\n".join(lines)


def plot_query(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tiers = result["tiers"]
    xs = [t["chunks"] for t in tiers]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for (key, label), color in zip((("ask_ms", "NewsBot.ask"), ("dense_search_ms", "dense search"),
                                    ("bm25_search_ms", "BM25 search")), ("C0", "C2", "C4")):
        ax1.plot(xs, [t[key]["p50"] for t in tiers], marker="o", color=color, label=f"{label} p50")
        ax1.plot(xs, [t[key]["p95"] for t in tiers], marker="x", linestyle="--", color=color, label=f"{label} p95")
    _axes(ax1, "latency (ms)", "Query latency vs store size", log_y=True)
    ax2.plot(xs, [t["peak_rss_mb"] for t in tiers], marker="o", label="peak RSS")
    ax2.plot(xs, [t["rss_after_open_mb"] for t in tiers], marker="x", linestyle="--", label="RSS after opening")
    _axes(ax2, "MB", "Memory vs store size")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _axes(ax, ylabel: str, title: str, log_y: bool = False) -> None:
    """Store size (log scale) on x, the given label and title, a grid and a small legend."""
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("chunks in store")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)


def open_source_store(path: Path, embedder_name: str, model_load_timeout: float):
    """The real store the tiers are built from; a :class:`BenchmarkError` when there is none."""
    from ingest.settings import StoreSettings
    from ingest.store import Store

    if not (Path(path) / "chroma").exists():
        raise BenchmarkError(f"{path}: no store there; pass --source-store with an ingested store")
    return Store.open(StoreSettings(store=path, chroma_url="", embedder=embedder_name, model_load_timeout=model_load_timeout))
