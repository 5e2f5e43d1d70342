"""Latency of ``POST /api/ask`` with 1 and 20 concurrent clients (a benchmark command, not a test).

    newsbot bench load --store newsbot-data              # starts the server in-process
    newsbot bench load --url http://127.0.0.1:7860       # against a running server
    newsbot bench load --store DIR --ingest INPUT        # idle, then during an in-server ingest
    newsbot bench load --store DIR --cli-ingest INPUT    # idle, then during `newsbot ingest` on DIR

With ``--ingest``/``--cli-ingest`` each concurrency level is measured idle first, then again while
INPUT is being ingested (the ingest starts after the idle runs and is stopped after the last one).
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

from .metrics import percentile

DEFAULT_QUESTIONS = [
    "When did Trump and Putin last speak?",
    "Quand Trump et Poutine se sont-ils parlé pour la dernière fois ?",
    "Which weapons deliveries did the United States pause?",
    "What did Trump write on Truth Social in April?",
]


def run_clients(url: str, clients: int, per_client: int, questions: list[str], token: str = "") -> dict:
    """``clients`` threads each asking ``per_client`` questions back to back; latencies in ms."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(n: int) -> None:
        with httpx.Client(base_url=url, timeout=300, headers=headers) as http:
            start.wait()
            for i in range(per_client):
                q = questions[(n + i) % len(questions)]
                t = time.perf_counter()
                r = http.post("/api/ask", json={"question": q})
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    (latencies.append(ms) if r.status_code == 200 else errors.append(f"{r.status_code} {r.text[:80]}"))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"clients": clients, "requests": len(latencies) + len(errors), "errors": errors,
            "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
            "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
            "max_ms": round(max(latencies), 1) if latencies else None,
            "throughput_per_s": round(len(latencies) / wall, 2) if wall else 0.0}


class IngestLoad:
    """An ingest running while questions are measured: in the server process (``start_ingest``,
    the server's own ingest runner, as the chat's *Add articles* panel runs it) or as a separate
    ``newsbot ingest`` process on the same ``store``."""

    def __init__(self, inputs: list[str], start_ingest: Callable | None = None, store: Path | None = None,
                 stored: Callable[[], int] | None = None):
        self.inputs, self.start_ingest, self.store = inputs, start_ingest, store
        self.stored = stored  # the store's chunk count, to tell the ingest's pace
        self.progress = None
        self.process = None
        self.measured_from = (time.perf_counter(), 0)

    def start(self, warmup: float = 5.0) -> None:
        if self.start_ingest is not None:
            _, self.progress = self.start_ingest(self.inputs)
        else:
            newsbot = str(Path(sys.executable).with_name("newsbot"))
            self.process: subprocess.Popen | None = subprocess.Popen([newsbot, "ingest", "--store", str(self.store), "--no-progress",
                                             *self.inputs], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(warmup)  # past model loading: embedding has begun
        self.mark()

    def mark(self) -> None:
        """From now on, :meth:`describe` tells how much the store grew."""
        self.measured_from = (time.perf_counter(), self.stored() if self.stored else 0)

    def running(self) -> bool:
        if self.progress is not None:
            return not self.progress.done
        return self.process is not None and self.process.poll() is None

    def describe(self) -> str:
        if self.progress is not None:
            out = f"in-server ingest, {self.progress.report.chunks_embedded} chunks embedded so far"
            if self.stored:
                (t0, n0), n = self.measured_from, self.stored()
                seconds = time.perf_counter() - t0
                out += f"; the store grew by {n - n0} chunks in {seconds:.0f} s ({(n - n0) / seconds:.2f} chunks/s)"
            return out
        return "`newsbot ingest` process on the same store"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # an interrupted ingest leaves a consistent store
            self.process.wait(30)


def print_level(c: int, res: dict, when: str) -> None:
    print(f"| {when} | {c} | {res['requests']} | {res['p50_ms']} | {res['p95_ms']} | {res['max_ms']} | "
          f"{res['throughput_per_s']} | {len(res['errors'])} |", flush=True)
    for e in res["errors"][:3]:
        print(f"  error: {e}")


def measure(url: str, clients: Sequence[int], requests: int, token: str = "", ingest: IngestLoad | None = None,
            ingest_alone: float = 0.0) -> None:
    """Print one table row per concurrency level, idle and (with ``ingest``) during the ingest, then
    (an in-server ingest still running) how far the ingest gets alone in ``ingest_alone`` seconds."""
    print("| when | concurrent clients | requests | p50 (ms) | p95 (ms) | max (ms) | answers/s | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    run_clients(url, 1, 2, DEFAULT_QUESTIONS, token)  # warm-up: models, caches
    phases = [("idle", None)] + ([("during ingest", ingest)] if ingest else [])
    for when, load in phases:
        if load is not None:
            load.start()
        for c in clients:
            res = run_clients(url, c, max(1, requests // c), DEFAULT_QUESTIONS, token)
            print_level(c, res, when)
        print(f"  ({when}: load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
              + (f"; {load.describe()}, still running: {load.running()}" if load else "") + ")", flush=True)
        if load is not None and load.progress is not None and load.running() and ingest_alone > 0:
            load.mark()
            time.sleep(ingest_alone)
            print(f"  (then no questions for {ingest_alone:g} s: {load.describe()})", flush=True)
        if load is not None:
            load.stop()
