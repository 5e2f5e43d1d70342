"""The settings of ingestion: a leaf module in sections, and :meth:`Store.open`, the one way to
open the store the settings name. (Every section together: tests/ui/test_settings_sections.py.)"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ingest.store
from ingest.errors import EmbedderMismatchError
from ingest.settings import IngestSettings, StoreSettings
from ingest.store import Store

REPO = Path(__file__).resolve().parents[2]
PROJECT = ("ingest", "bot", "ui", "evaluation", "training")


def test_the_settings_module_imports_nothing_of_the_project():
    tree = ast.parse((REPO / "ingest" / "settings.py").read_text(encoding="utf-8"))
    imported = [n.module or "." for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.level or
                (n.module or "").split(".")[0] in PROJECT)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
                 if a.name.split(".")[0] in PROJECT]
    assert imported == []


def test_a_bad_value_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("NEWSBOT_CHUNK_SIZE", "tiny")
    with pytest.raises(ValueError, match="chunk_size"):
        IngestSettings()


def test_store_open_reads_the_recorded_embedder_and_serves_with_one_chroma_client(tmp_path, monkeypatch, e5_int8):
    built = Store(tmp_path / "s", e5_int8)
    built.close()
    opened = []
    real_client = ingest.store.connect
    monkeypatch.setattr(ingest.store, "connect", lambda *a, **kw: opened.append(a) or real_client(*a, **kw))
    store = Store.open(StoreSettings(store=tmp_path / "s", chroma_url="", embedder=""))
    assert store.embedder.name == "multilingual-e5-small-int8"  # the store's own, not the default
    assert len(opened) == 1
    assert store.count() == 0 and store.location == str(tmp_path / "s")
    store.close()


def test_store_open_with_another_embedder_configured_says_to_reindex(tmp_path, e5, e5_int8):
    Store(tmp_path / "s", e5_int8).close()
    with pytest.raises(EmbedderMismatchError, match="newsbot reindex"):
        Store.open(StoreSettings(store=tmp_path / "s", chroma_url=""), embedder=e5)


def test_store_open_on_a_new_folder_uses_the_default_embedder(tmp_path):
    store = Store.open(StoreSettings(store=tmp_path / "new", chroma_url="", embedder=""))
    assert store.embedder.name == "multilingual-e5-small-q4"
    assert (tmp_path / "new" / "chroma").is_dir()
    store.close()
