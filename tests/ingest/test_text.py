"""ingest/loaders/text.py: plain text and Markdown articles."""
from __future__ import annotations

import pytest

from ingest.errors import InputError
from ingest.loaders import text
from ingest.settings import IngestSettings


def load_one(path):
    [article] = text.load(str(path), IngestSettings(), None)
    return article


def test_markdown_heading_is_the_title_and_not_part_of_the_text(tmp_path):
    path = tmp_path / "budget.md"
    path.write_text("\n## Le budget 2025 est adopté ##\n\nL'Assemblée a voté le budget mardi. Le Sénat suivra.\n",
                    encoding="utf-8")
    article = load_one(path)
    assert article.title == "Le budget 2025 est adopté"
    assert article.text == "L'Assemblée a voté le budget mardi. Le Sénat suivra."
    assert article.source == "budget.md"
    assert article.url == path.resolve().as_uri()
    assert article.lang == "fr"


def test_short_first_line_of_a_text_file_is_the_title(tmp_path):
    path = tmp_path / "storm.txt"
    path.write_text("Storm hits the coast\r\n\r\nA powerful storm hit the coast on Monday, cutting power to "
                    "thousands of homes.\r\nRoads were closed.\r\n", encoding="utf-8")
    article = load_one(path)
    assert article.title == "Storm hits the coast"
    assert article.text == ("A powerful storm hit the coast on Monday, cutting power to thousands of homes.\n"
                            "Roads were closed.")
    assert article.lang == "en"
    assert article.published == ""


def test_text_without_a_title_line_keeps_all_its_text(tmp_path):
    body = "Le gouvernement a présenté mercredi son plan pour l'hôpital. Il prévoit dix mille embauches."
    path = tmp_path / "plan.txt"
    path.write_text(body + "\n", encoding="utf-8")
    article = load_one(path)
    assert article.text == body
    assert article.title == "Le gouvernement a présenté mercredi son plan pour l'hôpital"


def test_id_is_stable_across_edits_and_differs_between_files(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("Titre\n\nPremier texte de l'article.", encoding="utf-8")
    b.write_text("Titre\n\nPremier texte de l'article.", encoding="utf-8")
    first = load_one(a)
    a.write_text("Titre\n\nTexte corrigé de l'article.", encoding="utf-8")
    edited = load_one(a)
    assert first.id == edited.id
    assert first.content_hash != edited.content_hash
    assert load_one(b).id != first.id


@pytest.mark.parametrize("content, reason", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
    (b"Caf\xe9 cr\xe8me\n", "not UTF-8 text (byte 0xe9 at 3)"),
    (b"   \n\t\n", "no text"),
])
def test_unreadable_text_is_an_input_error_naming_file_and_reason(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as exc:
        text.load(str(path), IngestSettings(), None)
    assert str(exc.value).startswith(f"{path}: ")
    assert reason in str(exc.value)


def test_front_matter_gives_title_date_source_and_url(tmp_path):
    path = tmp_path / "appel.md"
    path.write_text("---\ntitle: \"Trump et Poutine se sont parlé\"\ndate: 2025-07-03\nsource: Le Quotidien\n"
                    "url: https://example.org/appel\ntags: [monde]\n---\n# Un titre dans le texte\n\n"
                    "Donald Trump et Vladimir Poutine se sont entretenus jeudi.\n", encoding="utf-8")
    article = load_one(path)
    assert article.title == "Trump et Poutine se sont parlé"
    assert article.published == "2025-07-03"
    assert article.source == "Le Quotidien" and article.url == "https://example.org/appel"
    assert article.text == "Donald Trump et Vladimir Poutine se sont entretenus jeudi."
    assert "---" not in article.text and "tags" not in article.text


def test_front_matter_with_a_datetime_and_without_a_title(tmp_path):
    path = tmp_path / "storm.txt"
    path.write_text("---\r\ndate: 2025-07-03T18:30:00+02:00\r\n---\r\nStorm hits the coast\r\n\r\n"
                    "A storm hit the coast on Thursday.\r\n", encoding="utf-8")
    article = load_one(path)
    assert article.published == "2025-07-03T18:30:00+02:00"
    assert article.title == "Storm hits the coast" and article.source == "storm.txt"


def test_text_without_front_matter_or_with_a_bad_date_is_undated(tmp_path):
    path = tmp_path / "rule.txt"
    path.write_text("Intro\n\n---\ndate: 2025-07-03\n---\nA horizontal rule is no front matter.\n", encoding="utf-8")
    article = load_one(path)
    assert article.published == "" and "date: 2025-07-03" in article.text
    path.write_text("---\ndate: someday\n---\nTitle\n\nBody text here.\n", encoding="utf-8")
    assert load_one(path).published == ""
