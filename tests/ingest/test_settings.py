"""The configuration: a leaf module in sections that keep every documented ``NEWSBOT_*`` variable,
and :meth:`Store.open`, the one way to open the store the settings name."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import ingest.store
from ingest.errors import EmbedderMismatchError
from ingest.settings import AnswerSettings, IngestSettings, LLMSettings, ServerSettings, Settings, StoreSettings
from ingest.store import Store

REPO = Path(__file__).resolve().parents[2]
SECTIONS = (StoreSettings, IngestSettings, AnswerSettings, LLMSettings, ServerSettings)
PROJECT = ("ingest", "bot", "ui", "evaluation", "training")


def test_the_settings_module_imports_nothing_of_the_project():
    tree = ast.parse((REPO / "ingest" / "settings.py").read_text(encoding="utf-8"))
    imported = [n.module or "." for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.level or
                (n.module or "").split(".")[0] in PROJECT)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
                 if a.name.split(".")[0] in PROJECT]
    assert imported == []


def test_every_field_is_in_exactly_one_section():
    owners = {name: [s.__name__ for s in SECTIONS if name in s.model_fields] for name in Settings.model_fields}
    assert {name: o for name, o in owners.items() if len(o) != 1} == {}
    assert sum(len(s.model_fields) for s in SECTIONS) == len(Settings.model_fields)


def documented_variables() -> list[str]:
    """The NEWSBOT_* names README and docs/ name."""
    texts = [p.read_text(encoding="utf-8") for p in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]]
    return sorted({name for text in texts for name in re.findall(r"NEWSBOT_([A-Z_]+[A-Z])", text)})


def another_value(default):
    """A valid value of a field other than its default."""
    if isinstance(default, bool):
        return not default
    if isinstance(default, (int, float)):
        return default + 1
    return "x-value"


def test_every_documented_variable_is_read_by_its_section_and_by_settings(monkeypatch):
    names = documented_variables()
    assert {"STORE", "CHROMA_URL", "EMBEDDER", "LLM_BASE_URL", "READER", "API_TOKEN", "CORS_ORIGINS"} <= set(names)
    for name in names:
        field = name.lower()
        [section] = [s for s in SECTIONS if field in s.model_fields]
        default = Settings.model_fields[field].default
        value = another_value(default)
        monkeypatch.setenv(f"NEWSBOT_{name}", str(value).lower() if isinstance(value, bool) else str(value))

        def read(settings, field=field):
            got = getattr(settings, field)
            return str(got) if isinstance(got, Path) else got

        assert read(section()) == value, name
        assert read(Settings()) == value, name
        assert getattr(Settings(**{field: default}), field) == default, name  # an argument (a flag) wins


def test_a_bad_value_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("NEWSBOT_CHUNK_SIZE", "tiny")
    with pytest.raises(ValueError, match="chunk_size"):
        Settings()


def test_store_open_reads_the_recorded_embedder_and_serves_with_one_chroma_client(tmp_path, monkeypatch, e5_int8):
    built = Store(tmp_path / "s", e5_int8)
    built.close()
    opened = []
    real_client = ingest.store._client
    monkeypatch.setattr(ingest.store, "_client", lambda *a, **kw: opened.append(a) or real_client(*a, **kw))
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
    store = Store.open(Settings(store=tmp_path / "new", chroma_url="", embedder=""))
    assert store.embedder.name == "multilingual-e5-small-q4"
    assert (tmp_path / "new" / "chroma").is_dir()
    store.close()
