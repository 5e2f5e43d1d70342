"""ingest/language.py: the language of an article is detected, not assumed."""
from __future__ import annotations

import pytest

from ingest.language import detect_language


@pytest.mark.parametrize("text, lang", [
    ("Le gouvernement a présenté mercredi un projet de loi sur l'immigration.", "fr"),
    ("The government presented a bill on immigration on Wednesday.", "en"),
    ("Die Regierung hat am Mittwoch einen Gesetzentwurf zur Einwanderung vorgelegt.", "de"),
    ("El gobierno presentó el miércoles un proyecto de ley sobre inmigración.", "es"),
])
def test_detects_the_language_of_news_text(text, lang):
    assert detect_language(text) == lang


def test_too_little_text_gives_no_language():
    assert detect_language("  ok ") == ""
