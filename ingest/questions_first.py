"""Questions go first, so answering stays fast while articles are being added.

- The embedder serves queries before ingestion batches (:class:`PriorityLock`).
- An ingest inside the server waits, between articles and between passages, while questions are
  in flight (:class:`QuestionGate`), and embeds its passages on a worker thread of its own, with
  its own handle on the model, at a lower CPU priority (``ingest.embedders.BackgroundEmbedder``).
  Only that worker is lowered: it holds nothing a question waits for. The ingest thread itself,
  which takes the store's write lock, keeps its priority (a starved holder of a lock the
  questions need would make them slower: priority inversion, measured at several seconds per
  question on a busy machine).
- A ``newsbot ingest`` process runs at a lower CPU priority (:func:`lower_thread_priority`).
"""
from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator


class PriorityLock:
    """A lock that queries take before any waiting ingestion batch.

    A batch waits while a query holds the lock or waits for it, but never longer than
    ``max_defer`` seconds in all: under a steady stream of questions ingestion still advances,
    one batch at a time.
    """

    def __init__(self, max_defer: float = 1.0):
        self.max_defer = max_defer
        self._cond = threading.Condition()
        self._held = False
        self._queries_waiting = 0
        self._overdue = 0  # batches that have waited max_defer: the next turn is theirs

    @contextmanager
    def first(self) -> Iterator[None]:
        """Hold the lock for a query."""
        with self._cond:
            self._queries_waiting += 1
            try:
                while self._held or self._overdue:
                    self._cond.wait()
            finally:
                self._queries_waiting -= 1
            self._held = True
        try:
            yield
        finally:
            self._release()

    @contextmanager
    def after_queries(self) -> Iterator[None]:
        """Hold the lock for an ingestion batch, after the queries waiting for it (up to ``max_defer``)."""
        deadline = time.monotonic() + self.max_defer
        overdue = False
        with self._cond:
            try:
                while self._held or (self._queries_waiting and not overdue):
                    left = deadline - time.monotonic()
                    if not overdue and left <= 0:
                        overdue = True
                        self._overdue += 1
                        continue
                    self._cond.wait(None if overdue else left)
            finally:
                if overdue:
                    self._overdue -= 1
            self._held = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


class QuestionGate:
    """Counts the questions in flight, so that background work can wait until none is.

    A question holds :meth:`question` while it is answered; background work calls
    :meth:`wait_for_questions` between its steps. The wait ends when no question is in flight, or
    after ``max_wait`` seconds in all: under a steady stream of questions the background work
    still advances, one step at a time.
    """

    def __init__(self, max_wait: float = 1.0):
        self.max_wait = max_wait
        self._cond = threading.Condition()
        self._in_flight = 0
        self._waiting = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Background steps now waiting for the questions to finish."""
        return self._waiting

    @contextmanager
    def question(self) -> Iterator[None]:
        """Held while one question is answered."""
        with self._cond:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                if not self._in_flight:
                    self._cond.notify_all()

    def wait_for_questions(self) -> float:
        """Wait while questions are in flight (at most ``max_wait`` seconds); returns the seconds waited."""
        start = time.monotonic()
        with self._cond:
            if not self._in_flight:
                return 0.0
            self._waiting += 1
            try:
                self._cond.wait_for(lambda: not self._in_flight, timeout=self.max_wait)
            finally:
                self._waiting -= 1
        return time.monotonic() - start


def lower_thread_priority(niceness: int) -> None:
    """Run the calling thread (and the threads it starts from now on) at ``niceness`` or lower
    priority, so the CPU goes to other threads first; a no-op where the OS cannot do it."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    tid = threading.get_native_id()  # on Linux a thread's own priority; elsewhere the process's
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < niceness:
            os.setpriority(os.PRIO_PROCESS, tid, niceness)
    except OSError:
        pass
