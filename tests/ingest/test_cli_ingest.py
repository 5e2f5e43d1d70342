"""The ingest, stats, articles and delete commands of ``newsbot`` (ui/cli.py), run as real processes."""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from local_services import NEWSBOT, free_port, run_newsbot, write_article

DATA = Path(__file__).parent / "data"


def test_mixed_folder_skips_each_bad_input_with_one_line(tmp_path, http_server):
    docs = tmp_path / "docs"
    write_article(docs, "good.md", "Grève à la SNCF", "Les cheminots sont en grève depuis lundi matin.")
    (docs / "records.jsonl").write_text(
        json.dumps({"id": "r1", "title": "Storm", "text": "A storm cut power to thousands of homes."}) + "\n"
        '{"id": "r2", "title": \n', encoding="utf-8")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 10)
    (docs / "empty.md").write_bytes(b"")
    (docs / "latin1.txt").write_bytes("Titre\n\nUn café crème.".encode("latin-1"))
    (docs / "big.txt").write_text("Un texte trop long. " * 100)
    (docs / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    feed = http_server.put("eco.rss", (DATA / "economie.rss").read_bytes())
    missing = http_server.url("missing.html")
    refused = f"http://127.0.0.1:{free_port()}/a.html"
    slow = http_server.url("slow/a.html")
    store = tmp_path / "store"
    proc = run_newsbot("ingest", str(docs), feed, missing, refused, slow, "--store", str(store),
                       "--max-file-bytes", "1000", env={"NEWSBOT_FETCH_TIMEOUT": "3"})
    assert proc.returncode == 1
    lines = proc.stderr.strip().split("\n")
    expected = {
        f"{docs / 'records.jsonl'}:2: malformed JSON line",
        f"{docs / 'binary.txt'}: binary content, not text",
        f"{docs / 'empty.md'}: empty file",
        f"{docs / 'latin1.txt'}: not UTF-8 text (byte 0xe9 at 13)",
        f"{docs / 'big.txt'}: file too large (2000 bytes > limit 1000",
        f"{docs / 'photo.jpg'}: unsupported file type '.jpg'",
        f"{feed} entry 3 (https://www.lequotidien.example/eco/vide): entry has no text",
        f"{missing}: HTTP 404",
        f"{refused}: cannot fetch (ConnectError",
        f"{slow}: timed out after 3 s",
    }
    assert len(lines) == len(expected), proc.stderr
    for prefix in expected:
        assert sum(line.startswith(prefix) and line.endswith("; skipped") for line in lines) == 1, (prefix, lines)
    assert proc.stdout.startswith("4 articles from 11 inputs: 4 new")
    assert "10 inputs or records skipped" in proc.stdout
    listed = json.loads(run_newsbot("articles", "--store", str(store), "--json").stdout)
    assert sorted(a["title"] for a in listed) == ["Grève à la SNCF", "Inflation en recul", "La BCE maintient ses taux",
                                                  "Storm"]


def test_clean_batch_exits_0_and_size_limit_from_the_environment(tmp_path):
    docs = tmp_path / "docs"
    write_article(docs, "a.md", "Titre", "Un texte assez court, en français, pour un seul morceau.")
    store = str(tmp_path / "store")
    proc = run_newsbot("ingest", str(docs), "--store", store, "--json")
    assert proc.returncode == 0 and proc.stderr == ""
    assert json.loads(proc.stdout)["chunks_embedded"] == 1
    again = run_newsbot("ingest", str(docs), "--store", store, "--json", env={"NEWSBOT_MAX_FILE_BYTES": "10"})
    assert again.returncode == 1 and "file too large" in again.stderr and "NEWSBOT_MAX_FILE_BYTES" in again.stderr


def test_stats_articles_and_delete_commands(tmp_path):
    docs = tmp_path / "docs"
    write_article(docs, "a.md", "Grève à la SNCF", "Les cheminots sont en grève depuis lundi matin.")
    write_article(docs, "b.md", "Storm", "A storm cut power to thousands of homes on Monday.")
    store = str(tmp_path / "store")
    assert run_newsbot("ingest", str(docs), "--store", store).returncode == 0
    stats = json.loads(run_newsbot("stats", "--store", store, "--json").stdout)
    assert (stats["articles"], stats["chunks"], stats["lexical_chunks"], stats["incomplete_articles"]) == (2, 2, 2, 0)
    # A question gives the chunks it retrieves their sentence vectors (newsbot ingest leaves them to it).
    assert run_newsbot("ask", "Who is on strike since Monday?", "--store", store).returncode == 0
    listing = run_newsbot("articles", "--store", store).stdout.strip().split("\n")
    assert len(listing) == 2 and all(line.count("\t") == 3 for line in listing)
    storm_id = next(line.split("\t")[0] for line in listing if line.endswith("\tStorm"))
    proc = run_newsbot("delete", storm_id, "--store", store)
    assert proc.returncode == 0 and proc.stdout.strip() == f"{storm_id}: 1 chunks removed"
    proc = run_newsbot("delete", storm_id, "no-such-id", "--store", store)
    assert proc.returncode == 1
    assert proc.stderr.strip().split("\n") == [f"{storm_id}: no such article in {store}",
                                               f"no-such-id: no such article in {store}"]
    stats = json.loads(run_newsbot("stats", "--store", store, "--json").stdout)
    assert (stats["articles"], stats["chunks"], stats["lexical_chunks"]) == (1, 1, 1)
    # The deleted article's sentence vectors are gone from disk too.
    import numpy as np

    cached = set()
    for f in (tmp_path / "store").glob("sentence-vectors-*/*.npz"):
        with np.load(f) as data:
            cached |= set(json.loads(str(data["ids"])))
    assert cached and not any(cid.startswith(storm_id) for cid in cached)


def chroma_rows(store: Path) -> int:
    """Chunks written so far, read without opening Chroma (the ingest is still running)."""
    db = store / "chroma" / "chroma.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            # Chunks of the store's collection only (its change log is another collection).
            return con.execute("select count(*) from embeddings e join segments s on e.segment_id = s.id "
                               "join collections c on s.collection = c.id where c.name = 'newsbot'").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
@pytest.mark.slow
def test_interrupted_ingest_leaves_a_consistent_store_and_resumes(tmp_path, sig):
    records = tmp_path / "many.jsonl"
    with records.open("w", encoding="utf-8") as f:
        for n in range(40):
            text = (f"Article numéro {n} sur la réforme des retraites votée au Parlement. "
                    f"Le texte {n} prévoit un relèvement progressif de l'âge légal de départ à la retraite.")
            f.write(json.dumps({"id": f"art-{n}", "title": f"Réforme {n}", "text": text}, ensure_ascii=False) + "\n")
    store = tmp_path / "store"
    args = ["ingest", str(records), "--store", str(store), "--chunk-size", "100", "--chunk-overlap", "0"]
    # A suite started in the background by a non-interactive shell ignores SIGINT, and children
    # inherit that: give the command the default disposition, as a terminal would.
    proc = subprocess.Popen([NEWSBOT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 240
    while chroma_rows(store) == 0:  # kill it once the first articles are written
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted; run the same command again to finish" in err
    after = run_newsbot("stats", "--store", str(store), "--json")
    assert after.returncode == 0, after.stderr
    stats = json.loads(after.stdout)
    assert 0 < stats["chunks"] < 80  # written in part
    assert stats["chunks"] == stats["lexical_chunks"] and stats["incomplete_articles"] == 0
    assert stats["chunks"] == 2 * stats["articles"]
    done = run_newsbot(*args, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["chunks_embedded"] == 80 - stats["chunks"] and report["chunks_unchanged"] == stats["chunks"]
    stats = json.loads(run_newsbot("stats", "--store", str(store), "--json").stdout)
    assert (stats["articles"], stats["chunks"], stats["lexical_chunks"], stats["incomplete_articles"]) == (40, 80, 80, 0)


def test_ingest_stats_and_search_through_a_chroma_server(tmp_path, chroma_server):
    docs = tmp_path / "docs"
    write_article(docs, "a.md", "Central bank", "The central bank raised its interest rates by half a point.")
    store = str(tmp_path / "local")
    proc = run_newsbot("ingest", str(docs), "--store", store, "--chroma-url", chroma_server, "--json")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(run_newsbot("stats", "--store", store, "--json", env={"NEWSBOT_CHROMA_URL": chroma_server}).stdout)
    assert stats["store"] == chroma_server and stats["chunks"] >= 1 and stats["chunks"] == stats["lexical_chunks"]
    titles = [a["title"] for a in json.loads(run_newsbot("articles", "--store", store, "--chroma-url", chroma_server,
                                                         "--json").stdout)]
    assert "Central bank" in titles


def test_unreachable_chroma_server_exits_2_with_a_message(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    proc = run_newsbot("stats", "--store", str(tmp_path), "--chroma-url", url)
    assert proc.returncode == 2 and time.monotonic() - t0 < 30
    assert proc.stderr.startswith(f"newsbot: Chroma server at {url} cannot be reached")
