"""ingest/loaders/common.py: decoding, dates, ids and the finishing of every article."""
from __future__ import annotations

import time
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.errors import InputError
from ingest.loaders.common import decode_text, make_article, normalise_text, parse_date, stable_id


@pytest.mark.parametrize("value, expected", [
    ("2024-03-14", "2024-03-14"),
    ("14 mars 2024", "2024-03-14"),  # French written dates are read, not guessed into a wrong one
    ("jeudi 3 juillet 2025", "2025-07-03"),
    # a date missing its year, month or day is no date: dateutil would complete it with today's
    ("2025", ""), ("12", ""), ("July 2025", ""), ("3 juillet", ""), ("yesterday", ""),
    ("March 14, 2024", "2024-03-14"),
    ("2024-03-14T09:30:00+01:00", "2024-03-14T09:30:00+01:00"),
    ("Thu, 14 Mar 2024 09:30:00 GMT", "2024-03-14T09:30:00+00:00"),
    (datetime(2024, 3, 14, 9, 30), "2024-03-14T09:30:00"),
    (time.struct_time((2024, 3, 14, 8, 30, 0, 3, 74, 0)), "2024-03-14T08:30:00+00:00"),
    ("not a date", ""),
    ("", ""),
    (None, ""),
])
def test_parse_date_gives_iso_or_nothing(value, expected):
    assert parse_date(value) == expected


def test_normalise_text_unifies_newlines_and_strips_trailing_space():
    assert normalise_text("\n\nTitre  \r\nligne\rfin \t\n\n") == "Titre\nligne\nfin"


def test_make_article_detects_language_and_hashes_content():
    fr = make_article(id="x", title="  Un   titre ", text="Le gouvernement a annoncé mardi une hausse des impôts.",
                      source="s")
    en = make_article(id="x", title="Un titre", text="The government announced a tax rise on Tuesday.", source="s")
    assert fr.title == "Un titre"
    assert (fr.lang, en.lang) == ("fr", "en")
    assert fr.content_hash != en.content_hash
    with pytest.raises(InputError, match="article has no text"):
        make_article(id="x", title="t", text=" \n ", source="s")


def test_stable_id_depends_on_every_part():
    assert stable_id("file", "/a") == stable_id("file", "/a")
    assert len({stable_id("file", "/a"), stable_id("file", "/b"), stable_id("url", "/a")}) == 3


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_decode_text_on_arbitrary_bytes_gives_text_or_a_clear_input_error(data):
    try:
        text = decode_text("in.txt", data)
    except InputError as err:
        assert str(err).startswith("in.txt: ")
        assert err.reason in ("binary content, not text", "no text (only whitespace)") or err.reason.startswith(
            "not UTF-8 text (byte 0x")
    else:
        assert text.strip()
        assert data.decode("utf-8-sig") == text
