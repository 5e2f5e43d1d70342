"""ingest/loaders/html.py: article pages, main text and metadata via trafilatura."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.errors import InputError
from ingest.loaders import html, load_input
from ingest.settings import IngestSettings

DATA = Path(__file__).parent / "data"


@pytest.fixture
def page(tmp_path) -> Path:
    path = tmp_path / "senat.html"
    shutil.copy(DATA / "senat-retraites.html", path)
    return path


def test_html_file_gives_main_text_and_metadata(page):
    [article] = html.load(str(page), IngestSettings(), None)
    assert article.title == "Le Sénat adopte la réforme des retraites"
    assert article.source == "Le Quotidien"
    assert article.author == "Claire Martin"
    assert article.published.startswith("2024-03-14")
    assert article.url == "https://www.lequotidien.example/politique/senat-retraites"
    assert article.lang == "fr"
    assert article.text.startswith("Les sénateurs ont adopté jeudi soir")
    assert "Conseil d'orientation des retraites" in article.text
    # boilerplate is left out
    assert "Accueil" not in article.text and "newsletter" not in article.text


def test_html_paragraphs_are_separate_paragraphs_of_the_text(page):
    [article] = html.load(str(page), IngestSettings(), None)
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[1].startswith("Le texte prévoit")


def test_htm_suffix_is_an_html_page(page, tmp_path):
    htm = page.with_suffix(".htm")
    page.rename(htm)
    [article] = load_input(str(htm), IngestSettings(), None)
    assert article.title == "Le Sénat adopte la réforme des retraites"


def test_page_without_metadata_falls_back_to_file_name_and_path(tmp_path):
    path = tmp_path / "note.html"
    path.write_text("<html><body><p>The city council approved the new tram line on Tuesday after a long "
                    "debate about its cost and its route through the old town.</p></body></html>", encoding="utf-8")
    [article] = html.load(str(path), IngestSettings(), None)
    assert article.url == path.resolve().as_uri()
    assert article.source == "note.html"
    assert article.lang == "en"
    assert article.title


def test_html_without_article_text_is_an_input_error(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><head><title>Nothing</title></head><body><script>var x = 1;</script></body></html>",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.html: no article text found"):
        html.load(str(path), IngestSettings(), None)
