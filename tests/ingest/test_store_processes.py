"""Several processes on one store and one ``chroma run`` server: an ingesting process and two
``newsbot serve`` processes. What the first writes, both servers find, by BM25 and by dense
search, within seconds and without rebuilding their index."""
from __future__ import annotations

import os
import time

import pytest
from local_services import ServeProcess, run_newsbot, write_article

pytestmark = pytest.mark.slow

# A made-up word that only the new article contains. A decoy article spells it with a hyphen:
# nearly the same text to the embedder (dense search ranks the decoy first), different tokens to
# BM25. With k=1, the new article is cited only if the server's BM25 index has it.
BM25_QUESTION = "Qzarnettevillois"
DECOY = "Qzarnette-villois"
# Found by dense search only: an English paraphrase of the French article sharing no stem with it.
DENSE_QUESTION = "Heavy rain flooded a valley and rescuers moved hundreds of residents to safety"
NEW_TITLE = "Inondations dans la vallée"


@pytest.fixture
def servers(tmp_path, chroma_server):
    """An ingested store on the Chroma server, and two ``newsbot serve`` processes on it."""
    store = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(NEWSBOT_CHROMA_URL=chroma_server, NEWSBOT_FEEDBACK_LOG=str(tmp_path / "feedback.jsonl"))
    docs = tmp_path / "docs"
    write_article(docs, "bank.md", "Central bank", "The central bank raised its interest rates by half a point.")
    write_article(docs, "decoy.md", DECOY, f"{DECOY}, {DECOY}.")
    first = run_newsbot("ingest", str(docs), "--store", str(store), env={"NEWSBOT_CHROMA_URL": chroma_server})
    assert first.returncode == 0, first.stderr
    log = open(tmp_path / "serve.log", "wb")
    procs = [ServeProcess(store, env, log) for _ in range(2)]
    try:
        deadline = time.monotonic() + 240
        for p in procs:
            p.wait_ready(deadline)
        yield store, procs
    finally:
        for p in procs:
            p.stop()
        log.close()


def test_an_article_ingested_by_one_process_is_found_on_two_servers_within_seconds(tmp_path, chroma_server, servers):
    store, procs = servers
    for p in procs:  # both servers have loaded their index before the write
        assert p.cited_titles(BM25_QUESTION, k=1) == [DECOY]
    write_article(tmp_path / "new", "flood.md", NEW_TITLE,
                  "Des pluies torrentielles ont inondé la vallée de Qzarnettevillois samedi. "
                  "Les pompiers ont évacué trois cents habitants.")
    ingest = run_newsbot("ingest", str(tmp_path / "new"), "--store", str(store), "--json",
                         env={"NEWSBOT_CHROMA_URL": chroma_server})
    assert ingest.returncode == 0, ingest.stderr
    written = time.monotonic()
    pending = {(i, q, k) for i in range(len(procs)) for q, k in ((BM25_QUESTION, 1), (DENSE_QUESTION, 3))}
    while pending:
        for i, q, k in sorted(pending):
            if NEW_TITLE in procs[i].cited_titles(q, k):
                pending.discard((i, q, k))
        assert time.monotonic() - written < 5, f"not found within 5 s: {sorted(pending)}"
