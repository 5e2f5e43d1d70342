"""ingest/lexical.py: analysis (folding, stop words, stems) and the on-disk BM25 index."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.lexical import FORMAT, LexicalIndex, tokenize, tokenize_query

FR = {"lang": "fr", "title": "Grève à la SNCF", "source": "Le Monde", "published": "2024-03-04", "published_ts": 1709510400}
ROOT = Path(__file__).resolve().parents[2]
EN = {"lang": "en", "title": "Storm on the coast", "source": "The Guardian", "published": "2024-03-05", "published_ts": 1709596800}


@pytest.fixture
def index(tmp_path) -> LexicalIndex:
    ix = LexicalIndex.create(tmp_path / "lexical")
    ix.apply([("fr-1", "Les cheminots sont en grève depuis lundi.", FR),
              ("fr-2", "Le trafic des trains régionaux est très perturbé.", FR),
              ("en-1", "A storm cut power to thousands of homes on Monday.", EN)], [], generation=7)
    return ix


def test_analysis_folds_accents_drops_stop_words_and_stems_per_language():
    assert tokenize("Les cheminots sont en grève", "fr") == ["cheminot", "grev"]
    assert tokenize("The storms were raging", "en") == ["storm", "rage"]
    assert set(tokenize_query("Quand la grève des cheminots?", ["fr", "en"])) >= {"grev", "cheminot"}


def test_search_ranks_by_bm25_over_stemmed_tokens_in_each_language(index):
    [(top, score), *_] = index.search("Pourquoi les cheminots font-ils grève ?")
    assert top == "fr-1" and score > 0
    assert [cid for cid, _ in index.search("storms")] == ["en-1"]  # stemmed: storms -> storm
    assert index.search("zorglub") == [] and index.search("le la les") == []
    assert len(index) == 3 and index.generation == 7 and sorted(index.ids) == ["en-1", "fr-1", "fr-2"]
    assert index.langs == ["en", "fr"]


def test_filters_see_the_filter_metadata_of_each_chunk(index):
    assert index.search("grève storm", allowed=lambda m: m["source"] == "The Guardian") == \
        [(cid, s) for cid, s in index.search("grève storm") if cid == "en-1"]
    # the article title is indexed with each chunk: both French chunks match "grève"
    assert {c for c, _ in index.search("grève storm", allowed=lambda m: m["published_ts"] < 1709596800)} == {"fr-1", "fr-2"}
    assert index.search("grève", allowed=lambda m: m["lang"] == "de") == []


def test_upsert_replaces_delete_removes_and_idf_follows(index):
    rare, common = index.idf("cheminot"), index.idf("grev")
    assert rare > 0 and index.idf("absent") == 0.0
    index.apply([("fr-2", "Les cheminots reprennent le travail.", FR)], ["en-1"], generation=8)
    assert sorted(index.ids) == ["fr-1", "fr-2"] and len(index) == 2
    assert index.search("storm") == [] and index.search("trains") == []
    assert {c for c, _ in index.search("cheminots")} == {"fr-1", "fr-2"}
    assert index.idf("cheminot") < rare  # now in 2 of 2 chunks
    assert common > 0


def test_a_snapshot_keeps_the_commit_it_was_taken_at(index):
    snap = index.snapshot()
    rare = snap.idf("cheminot")
    index.apply([("fr-3", "Les cheminots votent la reprise.", FR)], ["en-1"], generation=8)
    assert index.idf("cheminot") < rare and {c for c, _ in index.search("cheminots")} == {"fr-1", "fr-3"}
    assert snap.idf("cheminot") == rare and snap.generation == 7 and len(snap) == 3
    assert [c for c, _ in snap.search("storm")] == ["en-1"] and snap.has_dates
    assert index.snapshot().generation == 8 and not LexicalIndex.create(index.folder.with_name("empty")).snapshot().has_dates


def test_commits_are_durable_and_seen_by_another_reader(index, tmp_path):
    other = LexicalIndex.open(tmp_path / "lexical")  # as another process would
    assert other.generation == 7 and len(other) == 3
    index.apply([("en-2", "Flooding followed the storm.", EN)], [], generation=8)
    assert other.generation == 7 and len(other) == 3  # a reader sees a commit once it reloads
    other.reload()
    assert other.generation == 8 and {c for c, _ in other.search("flooding")} == {"en-2"}


def test_a_folder_of_another_format_is_not_opened(tmp_path):
    old = tmp_path / "lexical"
    old.mkdir()
    (old / "chunks.json").write_text(json.dumps({"generation": 3, "ids": ["a"], "metas": [{}]}))
    assert LexicalIndex.open(old) is None
    assert LexicalIndex.open(tmp_path / "missing") is None
    LexicalIndex.create(old)
    assert json.loads((old / "newsbot-lexical.json").read_text())["format"] == FORMAT
    assert LexicalIndex.open(old) is not None and not (old / "chunks.json").exists()


def test_a_commit_cut_short_by_a_killed_writer_does_not_block_the_next_one(tmp_path):
    """A writer killed after writing its commit's files but before its meta.json leaves files the
    next commit would name again (same opstamp); the next writer must clear them, not fail."""
    folder = tmp_path / "lex"
    index = LexicalIndex.create(folder)
    meta = {"lang": "fr", "source": "s", "published": "", "published_ts": 0}
    index.apply([(f"c{i}", f"texte numéro {i} sur la réforme", meta) for i in range(5)], [], 1)
    before = (folder / "meta.json").read_bytes()
    index.apply([("c1", "texte changé", meta)], ["c2"], 2)
    (folder / "meta.json").write_bytes(before)  # the kill: the commit's files stay, meta.json is the old one
    reopened = LexicalIndex.open(folder)
    assert (reopened.generation, len(reopened)) == (1, 5)
    reopened.apply([("c1", "texte changé", meta)], ["c2"], 2)
    assert (reopened.generation, len(reopened)) == (2, 4)
    assert [cid for cid, _ in reopened.search("changé")] == ["c1"]


def test_an_index_opened_before_a_killed_writer_clears_its_files_too(tmp_path):
    """The server's case: its index was opened before another process (a CLI ingest) wrote and was
    killed before its meta.json. Tantivy's list of the files it may remove is read at the open, so
    the server's writer must reopen the index to see them, or its next commit fails with
    FileAlreadyExists and every question catching up becomes a 500 (seen in a CI run)."""
    folder = tmp_path / "lex"
    meta = {"lang": "fr", "source": "s", "published": "", "published_ts": 0}
    LexicalIndex.create(folder).apply([(f"c{i}", f"texte numéro {i} sur la réforme", meta) for i in range(5)], [], 1)
    server = LexicalIndex.open(folder)                       # opened before the other writer's files
    before = (folder / "meta.json").read_bytes()
    other = ("import sys; from ingest.lexical import LexicalIndex; "
             "LexicalIndex.open(sys.argv[1]).apply([], ['c2'], 2)")
    subprocess.run([sys.executable, "-c", other, str(folder)], check=True, cwd=ROOT, timeout=120)
    (folder / "meta.json").write_bytes(before)               # the kill: its files stay, meta.json is the old one
    assert list(folder.glob("*.del"))                        # what the next commit names again
    server.apply([], ["c2"], 2)
    assert (server.generation, len(server)) == (2, 4)
    assert (LexicalIndex.open(folder).generation, len(LexicalIndex.open(folder))) == (2, 4)    # on disk too
    assert [cid for cid, _ in server.search("numéro 3")][:1] == ["c3"]
