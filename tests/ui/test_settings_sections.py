"""Every settings section in the layer that uses it (ingest: store and ingest; bot: answer and
LLM; ui: the server's), and ``ui.settings.Settings``, all of them together, reading every
documented ``NEWSBOT_*`` variable."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.settings import AnswerSettings, BotSettings, LLMSettings
from ingest.settings import IngestSettings, StoreSettings
from ui.settings import ServerSettings, Settings

REPO = Path(__file__).resolve().parents[2]
SECTIONS = (StoreSettings, IngestSettings, AnswerSettings, LLMSettings, ServerSettings)
PROJECT = ("ingest", "bot", "ui", "evaluation", "training")


def project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {("." * n.level) + (n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return {n for n in names if n.startswith(".") or n.split(".")[0] in PROJECT}


def test_each_settings_module_reads_only_the_settings_to_its_left():
    assert project_imports(REPO / "bot" / "settings.py") == {"ingest.settings"}
    assert project_imports(REPO / "ui" / "settings.py") == {"bot.settings", "ingest.settings"}


def test_ingest_and_bot_never_name_a_server_setting():
    sources = {p: p.read_text(encoding="utf-8") for folder in ("ingest", "bot") for p in (REPO / folder).rglob("*.py")}
    named = {(field, str(p.relative_to(REPO))) for field in ServerSettings.model_fields for p, text in sources.items()
             if re.search(rf"\b{field}\b", text, re.IGNORECASE)}
    assert len(sources) > 20 and named == set()


def test_every_field_is_in_exactly_one_section():
    owners = {name: [s.__name__ for s in SECTIONS if name in s.model_fields] for name in Settings.model_fields}
    assert {name: o for name, o in owners.items() if len(o) != 1} == {}
    assert sum(len(s.model_fields) for s in SECTIONS) == len(Settings.model_fields)
    assert set(BotSettings.model_fields) == set(Settings.model_fields) - set(ServerSettings.model_fields)


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
        if field in BotSettings.model_fields:
            assert read(BotSettings()) == value, name
        assert getattr(Settings(**{field: default}), field) == default, name  # an argument (a flag) wins


def test_a_bad_value_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("NEWSBOT_CHUNK_SIZE", "tiny")
    with pytest.raises(ValueError, match="chunk_size"):
        Settings()
