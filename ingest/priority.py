"""Questions go first: the embedder serves queries before ingestion batches, and an ingest
process runs at a lower CPU priority, so answering stays fast while articles are being added.

An ingest inside the server is not given a lower CPU priority: it holds the embedder between
passages, and a starved holder would make the questions waiting for it slower (priority
inversion, measured: several seconds per question on a busy machine).
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
