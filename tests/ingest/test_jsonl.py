"""ingest/loaders/jsonl.py: JSON and JSON Lines article records."""
from __future__ import annotations

import json

import pytest

from ingest.errors import InputError
from ingest.loaders import jsonl
from ingest.settings import IngestSettings


def load(path):
    errors = []
    return jsonl.load(str(path), IngestSettings(), errors.append), [str(e) for e in errors]


def test_jsonl_records_keep_their_fields(tmp_path):
    path = tmp_path / "feed.jsonl"
    recs = [
        {"id": "eco/42", "title": "La BCE maintient ses taux", "text": "La BCE a maintenu ses taux à 4,5 %.",
         "url": "https://example.org/bce", "source": "Le Quotidien", "published": "2024-03-07T14:15:00+01:00",
         "lang": "FR"},
        {"title": "Storm hits the coast", "text": "A storm hit the coast on Monday and cut power to thousands of homes.",
         "published": "March 4, 2024"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n", encoding="utf-8")
    (a, b), errors = load(path)
    assert errors == []
    assert (a.id, a.title, a.url, a.source, a.lang) == ("eco-42", "La BCE maintient ses taux",
                                                        "https://example.org/bce", "Le Quotidien", "fr")
    assert a.published == "2024-03-07T14:15:00+01:00"
    assert b.source == "feed.jsonl" and b.published == "2024-03-04" and b.lang == "en"
    assert b.id.startswith("a") and b.id != a.id


def test_record_without_id_gets_the_same_id_each_time(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"title": "T", "text": "Un texte assez long pour un article de test."}) + "\n")
    (first,), _ = load(path)
    (again,), _ = load(path)
    assert first.id == again.id


def test_malformed_line_is_reported_and_the_rest_loads(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        json.dumps({"id": "1", "title": "Un", "text": "Premier article du fichier."}) + "\n"
        '{"id": "2", "title": "Deux", "text": \n'
        + json.dumps({"id": "3", "title": "Trois"}) + "\n"
        + json.dumps(["not", "an", "object"]) + "\n"
        + json.dumps({"id": "4", "title": "Quatre", "text": "Quatrième article du fichier."}) + "\n",
        encoding="utf-8")
    articles, errors = load(path)
    assert [a.id for a in articles] == ["1", "4"]
    assert len(errors) == 3
    assert errors[0].startswith(f"{path}:2: malformed JSON line")
    assert errors[1] == f"{path}:3: record has no 'text'; skipped"
    assert errors[2] == f"{path}:4: record is not a JSON object; skipped"


def test_json_file_with_a_list_or_one_record(tmp_path):
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"id": "a", "title": "A", "text": "Texte A de l'article."},
                                {"id": "b", "title": "B", "text": "Texte B de l'article."}]))
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"id": "c", "title": "C", "text": "Texte C de l'article."}))
    assert [a.id for a in load(many)[0]] == ["a", "b"]
    assert [a.id for a in load(one)[0]] == ["c"]


def test_invalid_json_file_and_file_without_records_are_input_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "x", ')
    with pytest.raises(InputError, match=r"bad\.json: invalid JSON"):
        load(bad)
    none = tmp_path / "none.jsonl"
    none.write_text('{"title": "x"}\n')
    with pytest.raises(InputError, match=r"none\.jsonl: no valid article records"):
        load(none)


def test_a_record_with_a_lone_surrogate_is_skipped_alone(tmp_path):
    path = tmp_path / "three.jsonl"
    lines = [json.dumps({"id": "one", "title": "First", "text": "The first article of the file."}),
             '{"id": "two", "title": "Second \\ud800", "text": "The second article of the file."}',
             json.dumps({"id": "three", "title": "Third", "text": "The third article of the file."}),
             '{"id": "four", "title": "Fourth", "text": "Broken \\udfff text."}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles, errors = load(path)
    assert [a.id for a in articles] == ["one", "three"]
    assert len(errors) == 2
    assert errors[0].startswith(f"{path}:2: 'title' holds an invalid character") and "U+D800" in errors[0]
    assert errors[1].startswith(f"{path}:4: 'text' holds an invalid character") and "U+DFFF" in errors[1]
