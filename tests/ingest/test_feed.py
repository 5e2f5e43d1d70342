"""ingest/loaders/feed.py: RSS and Atom feeds, from files and from a local HTTP server."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import InputError
from ingest.loaders import load_input
from ingest.settings import IngestSettings

DATA = Path(__file__).parent / "data"


def load(source):
    errors = []
    return load_input(str(source), IngestSettings(), errors.append), [str(e) for e in errors]


def check_rss(articles, errors):
    bce, inflation = articles
    assert bce.title == "La BCE maintient ses taux"
    assert bce.source == "Le Quotidien - Économie"
    assert bce.url == "https://www.lequotidien.example/eco/bce-taux"
    assert bce.published == "2024-03-07T13:15:00+00:00"
    assert bce.lang == "fr"
    assert bce.text == ("La Banque centrale européenne a laissé ses taux directeurs inchangés jeudi, à 4,5 %.\n\n"
                        "Christine Lagarde a jugé prématuré de parler de baisse.")
    assert inflation.text == "L'inflation a reculé à 2,9 % sur un an en février, selon l'Insee."
    assert inflation.published == "2024-03-01T08:00:00+00:00"
    # the entry without text is reported, the others load
    assert len(errors) == 1
    assert "entry 3 (https://www.lequotidien.example/eco/vide): entry has no text" in errors[0]


def check_atom(articles):
    [chip] = articles
    assert chip.title == "Chipmaker posts record profit"
    assert chip.source == "Tech Daily" and chip.author == "Ann Lee"
    assert chip.url == "https://techdaily.example/chip-profit"
    assert chip.published == "2024-05-01T18:30:00+00:00"
    assert chip.lang == "en"
    assert "8.5 billion dollars" in chip.text


def test_rss_file(tmp_path):
    path = tmp_path / "eco.rss"
    path.write_bytes((DATA / "economie.rss").read_bytes())
    check_rss(*load(path))


def test_atom_file_with_xml_suffix(tmp_path):
    path = tmp_path / "tech.xml"
    path.write_bytes((DATA / "tech.atom").read_bytes())
    articles, errors = load(path)
    assert errors == []
    check_atom(articles)


def test_rss_and_atom_from_a_local_http_server(http_server):
    rss = http_server.put("feeds/eco.rss", (DATA / "economie.rss").read_bytes())
    check_rss(*load(rss))
    # served as application/octet-stream: recognised by its content
    atom = http_server.put("feeds/tech", (DATA / "tech.atom").read_bytes())
    articles, _ = load(atom)
    check_atom(articles)


def test_feed_entries_keep_the_same_ids_from_file_and_url(tmp_path, http_server):
    path = tmp_path / "eco.rss"
    path.write_bytes((DATA / "economie.rss").read_bytes())
    url = http_server.put("eco.rss", path.read_bytes())
    assert [a.id for a in load(path)[0]] == [a.id for a in load(url)[0]]


def test_feed_without_entries_or_unparsable_is_an_input_error(tmp_path):
    empty = tmp_path / "empty.rss"
    empty.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>X</title></channel></rss>')
    with pytest.raises(InputError, match=r"empty\.rss: feed has no entries"):
        load(empty)
    junk = tmp_path / "junk.xml"
    junk.write_text("this is not xml at all <<<")
    with pytest.raises(InputError, match=r"junk\.xml: not a readable RSS/Atom feed"):
        load(junk)
