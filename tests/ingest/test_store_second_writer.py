"""One embedded store, two real processes: a running ``newsbot serve`` and a ``newsbot ingest``
writing into the same folder (a cron job, a second shell). Embedded Chroma keeps its vector index
in memory per process; the server must reopen it after the other process's write instead of
answering every question with a 500 ("Error finding id"), also when the writer is killed -9."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from local_services import NEWSBOT, ServeProcess, run_newsbot, write_article

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "articles.jsonl"
QUESTIONS = ("What did the central bank do?", "When did Trump and Putin last speak?",
             "Who opened the Olympic Games?")


def start_server(store: Path, log) -> ServeProcess:
    """``newsbot serve`` on ``store``, with no NEWSBOT_* setting of this shell, once it answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env["NEWSBOT_FEEDBACK_LOG"] = str(store.parent / "feedback.jsonl")
    # These tests ask in a loop while another process writes, as fast as the server answers: on a
    # loaded machine the writer is slow and the loop passed the default 120 questions a minute.
    # The rate limit has its own tests (tests/ui); here every answer must be a 200.
    env["NEWSBOT_RATE_LIMIT_PER_MINUTE"] = "100000"
    server = ServeProcess(store, env, log)
    server.wait_ready(time.monotonic() + 240)
    return server


@pytest.fixture
def served(tmp_path):
    """A store holding one article, served by a real ``newsbot serve``."""
    docs = tmp_path / "docs"
    write_article(docs, "bank.md", "Central bank", "The central bank raised its interest rates by half a point.")
    store = tmp_path / "store"
    first = run_newsbot("ingest", str(docs), "--store", str(store))
    assert first.returncode == 0, first.stderr
    log = open(tmp_path / "serve.log", "wb")
    server = start_server(store, log)
    try:
        yield store, server
    finally:
        server.stop()
        log.close()


def _stats(store: Path) -> dict:
    out = run_newsbot("stats", "--json", "--store", str(store))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_cli_ingest_beside_a_running_server_leaves_every_question_answered(tmp_path, served):
    store, server = served
    assert server.cited_titles(QUESTIONS[0]) == ["Central bank"]
    ingest = run_newsbot("ingest", str(SAMPLES), "--store", str(store))
    assert ingest.returncode == 0, ingest.stderr
    for question in QUESTIONS * 2:
        assert server.ask(question).status_code == 200
    assert "Paris opens the Olympic Games on the Seine" in server.cited_titles(QUESTIONS[2])
    # The server writes next (an upload): through the reopened store, so the CLI's articles stay.
    # A made-up valley: the upload is the one article about it, whatever the others say of rain.
    write_article(tmp_path / "up", "rain.md", "Valley floods", "Heavy rain flooded the Qzarnette valley on Friday.")
    with open(tmp_path / "up" / "rain.md", "rb") as f:
        up = httpx.post(server.url + "/api/articles", files={"files": ("rain.md", f, "text/markdown")}, timeout=120)
    assert up.status_code == 200 and up.json()["articles_new"] == 1, up.text
    assert "Valley floods" in server.cited_titles("What happened in the Qzarnette valley?")
    stats = _stats(store)
    assert (stats["articles"], stats["incomplete_articles"], stats["lexical_chunks"]) == (8, 0, stats["chunks"])


def test_a_cli_ingest_killed_with_sigkill_leaves_the_server_answering(tmp_path, served):
    store, server = served
    lines = [json.dumps({"id": f"brief-{i}", "title": f"Harbour brief {i}", "published": "2025-07-03",
                         "text": f"Harbour brief number {i}: the port of Qzarn{i} unloaded {i} cargo ships "
                                 "on Thursday, and the dockers' union met the harbour master."})
             for i in range(400)]
    (tmp_path / "briefs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    writer = subprocess.Popen([NEWSBOT, "ingest", str(tmp_path / "briefs.jsonl"), "--store", str(store)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    statuses = []
    deadline = time.monotonic() + 240
    while httpx.get(server.url + "/api/health", timeout=10).json()["chunks"] < 50:
        statuses.append(server.ask("What did the harbour unload?").status_code)  # asked while it writes
        assert writer.poll() is None, "the ingest ended before it could be killed: give it more articles"
        assert time.monotonic() < deadline
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    for question in QUESTIONS + ("What did the harbour unload?",) * 3:
        statuses.append(server.ask(question).status_code)
    assert set(statuses) == {200}, statuses
    assert any(t.startswith("Harbour brief") for t in server.cited_titles("What did the harbour unload?"))
