"""Ingestion: inputs -> articles -> chunks -> vectors -> store, idempotent and safe to interrupt.

Articles are written whole (all their new chunks and the removal of their stale ones in one
store call), so an interrupted run leaves complete articles only; running it again finishes the
job without duplicates because chunk ids are content hashes.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Callable

from .chunking import chunk_article
from .errors import InputError
from .loaders import expand_inputs, load_input
from .model import Article, Chunk
from .questions_first import QuestionGate
from .sentences import embedding_text, passage_inputs  # noqa: F401 (embedding_text: for callers)
from .settings import IngestSettings
from .store import Store

# An ingest that embeds no more chunks than this (a few articles) gives their sentences their
# vectors before it ends: the next question is most likely about them, and it would otherwise
# embed them itself (about 0.5 s for one article on 2 cores). A bulk ingest leaves them to the questions.
SMALL_INGEST_CHUNKS = 32


@dataclass
class IngestReport:
    inputs: int = 0
    articles: int = 0
    articles_new: int = 0
    articles_changed: int = 0
    articles_unchanged: int = 0
    chunks_embedded: int = 0
    chunks_unchanged: int = 0
    chunks_relabelled: int = 0  # same text and vector, new metadata
    chunks_removed: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    sentence_seconds: float = 0.0

    @property
    def skipped(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        rate = self.chunks_embedded / self.seconds if self.seconds else 0.0
        return (f"{self.articles} articles from {self.inputs} inputs: {self.articles_new} new, "
                f"{self.articles_changed} changed, {self.articles_unchanged} unchanged; "
                f"{self.chunks_embedded} chunks embedded, {self.chunks_unchanged} unchanged, "
                + (f"{self.chunks_relabelled} relabelled, " if self.chunks_relabelled else "")
                + f"{self.chunks_removed} removed; {len(self.errors)} inputs or records skipped; "
                f"{self.seconds:.1f} s ({rate:.1f} chunks/s)")

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["skipped"] = self.skipped
        return d


class Ingester:
    """Loads, chunks, embeds and stores articles into one :class:`Store`.

    ``embedder`` embeds the passages and their sentences (default: the store's own); a server
    hands in a :class:`~ingest.embedders.BackgroundEmbedder`. ``yield_to`` is the server's
    :class:`~ingest.questions_first.QuestionGate`: the ingest waits for the questions in flight before
    each article is chunked and before each store write.

    ``sentences_now``: give the new chunks' sentences their vectors during the ingest (they cost
    as much as the chunks: one model run per sentence) rather than when a question first
    retrieves them (``Store.sentences``; the same vectors either way). Default: in a
    server (``yield_to`` given), whose new articles are asked about next, and whenever they are
    pooled out of the chunks' own pass (free). ``newsbot ingest`` (None without a server) computes
    them only when the whole ingest embeds at most :data:`SMALL_INGEST_CHUNKS` chunks, at its end;
    a bulk ingest thus costs half. ``False``: never.
    """

    def __init__(self, store: Store, settings: IngestSettings, batch_chunks: int = 32,
                 embedder=None, yield_to: QuestionGate | None = None, sentences_now: bool | None = None):
        self.store = store
        self.settings = settings
        self.batch_chunks = batch_chunks
        self.embedder = embedder if embedder is not None else store.embedder
        self.yield_to = yield_to
        self.sentences_now = yield_to is not None if sentences_now is None else sentences_now
        self._small_ingest = sentences_now is None and not self.sentences_now
        self._held: list[tuple[str, str]] | None = None  # this ingest's chunks, while it stays small

    def _let_questions_pass(self) -> None:
        if self.yield_to is not None:
            self.yield_to.wait_for_questions()

    def ingest(self, inputs: list[str], *, progress: bool | None = None,
               on_error: Callable[[str], None] | None = None,
               on_progress: Callable[[IngestReport], None] | None = None) -> IngestReport:
        """Ingest files, folders, URLs and feeds; bad inputs are reported and skipped."""
        report = IngestReport()
        t0 = time.perf_counter()

        def fail(err: InputError | str) -> None:
            msg = str(err)
            report.errors.append(msg)
            (on_error or (lambda m: print(m, file=sys.stderr, flush=True)))(msg)

        bar = None
        if progress is not False:
            from tqdm import tqdm

            bar = tqdm(unit=" chunks", desc="ingest", disable=None if progress is None else not progress,
                       file=sys.stderr, dynamic_ncols=True)
        pending: list[tuple[Article, list[Chunk]]] = []
        seen: set[str] = set()
        self._held = [] if self._small_ingest else None
        try:
            for source in expand_inputs(inputs):
                report.inputs += 1
                try:
                    articles = load_input(source, self.settings, fail)
                except InputError as err:
                    fail(err)
                    continue
                except Exception as exc:  # a loader bug must not stop the batch
                    fail(InputError(source, f"cannot be read ({type(exc).__name__}: {exc})"))
                    continue
                for article in articles:
                    if article.id in seen:
                        fail(InputError(source, f"article '{article.id}' appears twice in this batch; later copy ignored"))
                        continue
                    seen.add(article.id)
                    self._let_questions_pass()
                    pending.append((article, chunk_article(article, self.settings.chunk_size, self.settings.chunk_overlap)))
                    if sum(len(c) for _, c in pending) >= self.batch_chunks:
                        self._write(pending, report, bar)
                        pending = []
                        if on_progress:
                            on_progress(report)
                if on_progress:
                    on_progress(report)
            if pending:
                self._write(pending, report, bar)
            self._small_ingest_sentences(report)
        finally:
            if bar is not None:
                bar.close()
            report.seconds = time.perf_counter() - t0
        # Each store write has updated the BM25 index with its own chunks: nothing to rebuild here.
        if report.chunks_removed:
            self.store.prune_sentences()
        report.seconds = time.perf_counter() - t0
        if on_progress:
            on_progress(report)
        return report

    def ingest_articles(self, articles: list[Article]) -> IngestReport:
        """Store articles already loaded (feed items), whole, like :meth:`ingest` stores its inputs."""
        report = IngestReport(inputs=1)
        t0 = time.perf_counter()
        pending: list[tuple[Article, list[Chunk]]] = []
        for article in articles:
            self._let_questions_pass()
            pending.append((article, chunk_article(article, self.settings.chunk_size, self.settings.chunk_overlap)))
            if sum(len(c) for _, c in pending) >= self.batch_chunks:
                self._write(pending, report, None)
                pending = []
        if pending:
            self._write(pending, report, None)
        # Each store write has updated the BM25 index with its own chunks: nothing to rebuild here.
        if report.chunks_removed:
            self.store.prune_sentences()
        report.seconds = time.perf_counter() - t0
        return report

    def _write(self, batch: list[tuple[Article, list[Chunk]]], report: IngestReport, bar) -> None:
        all_ids = [c.id for _, chunks in batch for c in chunks]
        stored = self.store.existing_metadata(all_ids)
        to_embed: list[Chunk] = []
        relabelled: list[Chunk] = []
        stale: list[str] = []
        for article, chunks in batch:
            report.articles += 1
            old = self.store.article_chunk_ids(article.id)
            new_ids = {c.id for c in chunks}
            fresh = [c for c in chunks if c.id not in stored]
            # Same text at the same place, but the article's metadata changed (title, date, ...):
            # re-embed when the text the embedder sees changed, else only relabel.
            outdated = [c for c in chunks if c.id in stored and stored[c.id].get("article_hash") != article.content_hash]
            reembed = [c for c in outdated if stored[c.id].get("title", "") != article.title]
            gone = old - new_ids
            if not old:
                report.articles_new += 1
            elif fresh or gone or outdated:
                report.articles_changed += 1
            else:
                report.articles_unchanged += 1
            to_embed.extend(fresh + reembed)
            relabelled.extend(c for c in outdated if c not in reembed)
            stale.extend(gone)
            report.chunks_unchanged += len(chunks) - len(fresh) - len(outdated)
        vectors, pooled = self._embed(to_embed, report)
        self._let_questions_pass()
        self.store.upsert(to_embed, vectors, stale, relabelled=relabelled)
        if to_embed and (pooled is not None or self.sentences_now):
            # Sentence vectors let retrieval rank a passage by its best sentence; computing them
            # now spares the first questions on new articles that wait.
            t = time.perf_counter()
            if pooled is not None:
                self.store.sentences.put([c.id for c in to_embed], pooled)
            else:
                self.store.sentences.add([(c.id, c.text) for c in to_embed], self.embedder)
            report.sentence_seconds += time.perf_counter() - t
        elif to_embed and self._held is not None:
            self._held.extend((c.id, c.text) for c in to_embed)
            if len(self._held) > SMALL_INGEST_CHUNKS:
                self._held = None  # a bulk ingest: the questions embed the sentences they read
        report.chunks_embedded += len(to_embed)
        report.chunks_relabelled += len(relabelled)
        report.chunks_removed += len(stale)
        if bar is not None:
            bar.update(sum(len(c) for _, c in batch))
            bar.set_postfix(articles=report.articles, embedded=report.chunks_embedded)

    def _small_ingest_sentences(self, report: IngestReport) -> None:
        """The sentence vectors of a small ingest's chunks (see :data:`SMALL_INGEST_CHUNKS`)."""
        held, self._held = self._held, None
        if held:
            t = time.perf_counter()
            self._let_questions_pass()
            self.store.sentences.add(held, self.embedder)
            report.sentence_seconds += time.perf_counter() - t

    def _embed(self, chunks: list[Chunk], report: IngestReport) -> tuple[list[list[float]], list | None]:
        """The chunks' vectors, and their sentence matrices when the store's sentence vectors are
        pooled out of the same forward pass (else None: the sentences are embedded one by one)."""
        if not chunks:
            return [], None
        t = time.perf_counter()
        inputs = [passage_inputs(c.metadata.get("title", ""), c.text) for c in chunks]
        pooled = None
        if self.store.sentences.pooled and self.embedder.pools_sentences:
            vectors, pooled = self.embedder.embed_with_sentences([x for x, _ in inputs], [sp for _, sp in inputs])
        else:
            vectors = self.embedder.embed_documents([x for x, _ in inputs])
        report.embed_seconds += time.perf_counter() - t
        return vectors, pooled

