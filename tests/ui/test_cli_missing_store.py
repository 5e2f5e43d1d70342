"""A store folder that does not exist is an error (exit 2) naming it, for every command that reads
a store; nothing is created there. ``ingest`` and ``watch`` fill a store, so they may start one."""
import subprocess
import sys
from pathlib import Path

import pytest

from ui.cli import main

REPO = Path(__file__).resolve().parents[2]

READERS = [
    ["stats"], ["articles", "--json"], ["delete", "some-id"], ["reindex"], ["ask", "When did Trump and Putin last speak?"],
    ["serve", "--port", "1"], ["eval", "qa.jsonl"], ["bench", "answers", "retrieval", "--qa", "qa.jsonl"],
    ["bench", "load", "--requests", "1"],
]


@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c[:2]))
def test_a_command_on_a_missing_store_says_to_ingest_first(tmp_path, capsys, command):
    missing = tmp_path / "no-such-store"
    assert main([*command, "--store", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"no store in {missing}" in err
    assert f"newsbot ingest FILES... --store {missing}" in err
    assert not missing.exists()


def test_the_time_benches_name_their_store_argument(tmp_path, capsys):
    missing = tmp_path / "gone"
    assert main(["bench", "time", "policies", str(missing), "questions.jsonl"]) == 2
    assert f"no store in {missing}" in capsys.readouterr().err
    assert not missing.exists()


def test_a_folder_without_a_store_is_refused_too(tmp_path, capsys):
    """Run from the wrong folder: the default store is relative, the folder exists but holds no store."""
    (tmp_path / "notes.txt").write_text("not a store", encoding="utf-8")
    assert main(["stats", "--store", str(tmp_path)]) == 2
    assert f"no store in {tmp_path}" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_ask_as_a_user_runs_it(tmp_path):
    """The real command in its own process, with the default store resolved from the working folder."""
    proc = subprocess.run([sys.executable, "-m", "ui.cli", "ask", "When did Trump and Putin last speak?"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                               "PYTHONPATH": str(REPO)})
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "no store in newsbot-data: run `newsbot ingest FILES... --store newsbot-data` first" in proc.stderr
    assert not (tmp_path / "newsbot-data").exists()


def test_ingest_still_creates_a_store(tmp_path, capsys):
    store = tmp_path / "fresh"
    sample = REPO / "samples" / "articles.jsonl"
    assert main(["ingest", str(sample), "--store", str(store), "--no-progress", "--embedder", "minilm"]) == 0
    capsys.readouterr()
    assert main(["stats", "--store", str(store), "--json"]) == 0
    assert '"articles": 6' in capsys.readouterr().out
