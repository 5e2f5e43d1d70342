"""ingest/loaders/__init__.py: folder expansion, the suffix registry and checks every file goes through."""
from __future__ import annotations

import pytest

from ingest.errors import InputError
from ingest.loaders import LOADERS, expand_inputs, load_input
from ingest.settings import IngestSettings


def test_folders_expand_recursively_sorted_without_hidden_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ["z.txt", "b/a.md", "b/deep/c.html", ".hidden.txt", ".git/config"]:
        (tmp_path / name).write_text("x")
    got = list(expand_inputs([str(tmp_path), "https://example.org/feed.xml", "other.txt"]))
    assert got == [str(tmp_path / "b/a.md"), str(tmp_path / "b/deep/c.html"), str(tmp_path / "z.txt"),
                   "https://example.org/feed.xml", "other.txt"]


def test_every_documented_suffix_has_a_loader():
    assert {".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".xml", ".rss", ".atom"} <= set(LOADERS)


def test_suffix_is_matched_case_insensitively(tmp_path):
    path = tmp_path / "NOTE.TXT"
    path.write_text("Titre\n\nUn texte court mais réel.", encoding="utf-8")
    [article] = load_input(str(path), IngestSettings(), None)
    assert article.title == "Titre"


@pytest.mark.parametrize("name, content, reason", [
    ("photo.jpg", b"\xff\xd8\xff", "unsupported file type '.jpg'"),
    ("README", b"text", "unsupported file type '(none)' (supported: .atom, .htm, .html, .json, .jsonl"),
    ("empty.txt", b"", "empty file"),
    ("big.txt", b"x" * 101, "file too large (101 bytes > limit 100; raise NEWSBOT_MAX_FILE_BYTES)"),
])
def test_bad_files_are_input_errors_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as exc:
        load_input(str(path), IngestSettings(max_file_bytes=100), None)
    assert str(exc.value).startswith(f"{path}: {reason}")
    assert str(exc.value).endswith("; skipped")


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        load_input(str(tmp_path / "nope.txt"), IngestSettings(), None)
