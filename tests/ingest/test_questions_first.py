"""ingest/questions_first.py: queries go before waiting ingestion batches; ingestion runs at a lower
CPU priority."""
from __future__ import annotations

import os
import threading
import time

from waiting import wait_until

from ingest.questions_first import PriorityLock, lower_thread_priority


def process_gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (gone, or a zombie not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_a_waiting_query_goes_before_a_waiting_batch():
    lock = PriorityLock(max_defer=30)
    order: list[str] = []
    release = threading.Event()

    def holder():
        with lock.after_queries():
            release.wait(10)

    def batch():
        with lock.after_queries():
            order.append("batch")

    def query():
        with lock.first():
            order.append("query")

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    wait_until(lambda: lock._held, timeout=10)
    threads.append(threading.Thread(target=batch))  # the batch starts waiting first
    threads[-1].start()
    time.sleep(0.1)
    threads.append(threading.Thread(target=query))
    threads[-1].start()
    wait_until(lambda: lock._queries_waiting == 1, timeout=10)
    release.set()
    for t in threads:
        t.join(10)
    assert order == ["query", "batch"]


def test_a_batch_is_deferred_for_at_most_max_defer_seconds():
    lock = PriorityLock(max_defer=0.3)
    stop = threading.Event()
    batch_done = threading.Event()

    def steady_queries():  # a query always waiting or holding the lock
        while not stop.is_set():
            with lock.first():
                time.sleep(0.01)

    def batch():
        with lock.after_queries():
            batch_done.set()

    queriers = [threading.Thread(target=steady_queries) for _ in range(3)]
    for t in queriers:
        t.start()
    time.sleep(0.05)
    threading.Thread(target=batch).start()
    assert batch_done.wait(10)
    stop.set()
    for t in queriers:
        t.join(10)


def test_the_embedder_serves_a_query_before_the_next_passage_batch(e5):
    order: list[str] = []
    release = threading.Event()

    def holder():
        with e5._lock.after_queries():
            release.wait(10)

    h = threading.Thread(target=holder)
    h.start()
    wait_until(lambda: e5._lock._held, timeout=10)
    passages = threading.Thread(target=lambda: (e5.embed_documents(["passage: un texte"] * 2), order.append("passages")))
    passages.start()
    time.sleep(0.1)
    query = threading.Thread(target=lambda: (e5.embed_query("une question ?"), order.append("query")))
    query.start()
    wait_until(lambda: e5._lock._queries_waiting == 1, timeout=10)
    release.set()
    for t in (h, passages, query):
        t.join(30)
    assert order == ["query", "passages"]


def test_lower_thread_priority_lowers_only_the_calling_thread():
    seen = {}

    def worker():
        lower_thread_priority(10)
        seen["worker"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen["worker"] == max(10, before)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


class _GatedEmbedder:
    """The real embedder, except that passage embedding waits for ``gate`` (an ingest mid-batch)."""

    def __init__(self, embedder):
        self.inner, self.name = embedder, embedder.name
        self.gate, self.entered = threading.Event(), threading.Event()

    def embed_documents(self, texts):
        self.entered.set()
        assert self.gate.wait(30)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def test_questions_read_the_sentence_cache_while_an_ingest_embeds(e5):
    from ingest.sentences import SentenceVectors

    embedder = _GatedEmbedder(e5)
    cache = SentenceVectors(embedder)
    embedder.gate.set()
    cache.vectors([("old", "A first chunk. It is already cached.")])
    embedder.gate.clear()
    ingest = threading.Thread(target=cache.vectors, args=([("new", "A new chunk. The ingest embeds it now.")],))
    ingest.start()
    assert embedder.entered.wait(10)
    read = {}
    question = threading.Thread(target=lambda: read.update(cache.vectors([("old", "A first chunk. It is already cached.")])))
    question.start()
    question.join(5)
    done_while_embedding = not question.is_alive()
    embedder.gate.set()
    ingest.join(30)
    question.join(30)
    assert done_while_embedding and read["old"].shape[0] == 2
    assert cache.vectors([("new", "A new chunk. The ingest embeds it now.")])["new"].shape[0] == 2


def test_the_gate_holds_background_work_while_a_question_is_in_flight():
    from ingest.questions_first import QuestionGate

    gate = QuestionGate(max_wait=600)
    assert gate.wait_for_questions() == 0.0  # no question: no wait
    passed = threading.Event()

    def background_step():
        gate.wait_for_questions()
        passed.set()

    with gate.question():
        step = threading.Thread(target=background_step)
        step.start()
        wait_until(lambda: gate.waiting == 1, timeout=10)
        assert gate.in_flight == 1 and not passed.is_set()
    step.join(10)
    assert passed.is_set() and gate.waiting == 0 and gate.in_flight == 0


def test_the_gate_lets_background_work_through_after_max_wait():
    from ingest.questions_first import QuestionGate

    gate = QuestionGate(max_wait=0.2)
    with gate.question():
        waited = gate.wait_for_questions()
    assert waited >= 0.2


def test_the_background_embedder_embeds_like_the_embedder_in_a_lowered_process(e5):
    import numpy as np

    from ingest.embedders import BackgroundEmbedder
    from ingest.questions_first import QuestionGate

    background = BackgroundEmbedder(e5, QuestionGate(), niceness=10)
    texts = ["Un premier passage.", "A second passage, in English."]
    try:
        assert np.allclose(background.embed_documents(texts), e5.embed_documents(texts), atol=1e-5)
        pid = background.background.worker_pid()
        assert pid != os.getpid() and os.getpriority(os.PRIO_PROCESS, pid) >= 10
    finally:
        background.close()


def test_a_killed_background_worker_is_replaced(e5):
    import signal

    from ingest.embedders import E5WorkerProcess

    worker = E5WorkerProcess(niceness=5)
    try:
        first = worker.worker_pid()
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: process_gone(first), timeout=10)
        [vector] = worker.embed_documents(["Un passage après la perte du processus."])
        assert len(vector) == e5.dim and worker.worker_pid() != first
    finally:
        worker.close()


def test_the_background_worker_ends_with_its_parent(tmp_path):
    import signal
    import subprocess
    import sys

    script = tmp_path / "parent.py"
    script.write_text("from ingest.embedders import E5WorkerProcess\n"
                      "if __name__ == '__main__':\n"
                      "    print(E5WorkerProcess(niceness=5).worker_pid(), flush=True)\n"
                      "    import time; time.sleep(600)\n", encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait(30)

    wait_until(lambda: process_gone(worker), timeout=30)
