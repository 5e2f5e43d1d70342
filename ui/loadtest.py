"""Latency of ``POST /api/ask`` with 1 and 20 concurrent clients (a benchmark command, not a test).

    python -m ui.loadtest --store newsbot-data              # starts the server in-process
    python -m ui.loadtest --url http://127.0.0.1:7860       # against a running server
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path

DEFAULT_QUESTIONS = [
    "When did Trump and Putin last speak?",
    "Quand Trump et Poutine se sont-ils parlé pour la dernière fois ?",
    "Which weapons deliveries did the United States pause?",
    "What did Trump write on Truth Social in April?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


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
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
            "max_ms": round(max(latencies), 1) if latencies else None,
            "throughput_per_s": round(len(latencies) / wall, 2) if wall else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.loadtest", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running server; default: start one in-process on --store")
    parser.add_argument("--store", type=Path, help="store folder for the in-process server")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--requests", type=int, default=40, help="requests per concurrency level (default 40)")
    parser.add_argument("--token", default="", help="bearer token when the API requires one")
    args = parser.parse_args(argv)

    server = None
    url = args.url
    if not url:
        from ingest.settings import Settings

        from .server import BackgroundServer, create_app

        overrides = {"rate_limit_per_minute": 1_000_000}
        if args.store:
            overrides["store"] = args.store
        server = BackgroundServer(create_app(Settings(**overrides))).start()
        url = server.url
    try:
        run_clients(url, 1, 2, DEFAULT_QUESTIONS, args.token)  # warm-up: models, caches
        print("| concurrent clients | requests | p50 (ms) | p95 (ms) | max (ms) | answers/s | errors |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for c in args.clients:
            res = run_clients(url, c, max(1, args.requests // c), DEFAULT_QUESTIONS, args.token)
            print(f"| {c} | {res['requests']} | {res['p50_ms']} | {res['p95_ms']} | {res['max_ms']} | {res['throughput_per_s']} | "
                  f"{len(res['errors'])} |", flush=True)
            for e in res["errors"][:3]:
                print(f"  error: {e}")
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
