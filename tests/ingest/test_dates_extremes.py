"""Hostile dates: an article dated 9999-12-31 or 0001-01-01 that says "next week", an ``as_of`` at
the edge of the calendar. Dates outside 1000–2999 are not read at ingestion, ``as_of`` outside is
a clear error, and resolving time phrases never raises, whatever the date."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answer_types import Citation
from bot.news_time import AsOfError, date_citations, parse_as_of, question_time
from ingest.dates import EARLIEST, LATEST, find_time_expressions, resolve_dates
from ingest.loaders.common import parse_date

PHRASES = [
    "next week", "last week", "la semaine prochaine", "la semaine dernière", "next month", "last month",
    "le mois prochain", "l'an dernier", "next year", "last year", "this weekend", "over the weekend",
    "the past 3 days", "depuis trois ans", "jeudi prochain", "last Thursday", "demain", "hier",
    "tomorrow", "in 10 days", "il y a 3 semaines", "between March and May", "this winter",
    "on 14 June", "le 31 décembre", "the 1990s", "in early 2024", "today", "this week",
]
TEXT = "Talks resume next week; last week they met. " + " ; ".join(PHRASES) + "."


@pytest.mark.parametrize("published", ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59+00:00",
                                       "0001-01-01T00:00:00-05:00"])
def test_a_stored_extreme_date_leaves_the_citation_undated_instead_of_failing(published):
    c = Citation(1, "a", "t", "s", "", published, TEXT, 0, len(TEXT))
    date_citations([c])
    assert all(d["value"].startswith(("19", "20")) for d in c.dates)  # only phrases that name their year


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "31 December 9999",
                                   "0999-12-31", "3000-01-01"])
def test_ingestion_does_not_read_a_date_outside_the_years_1000_to_2999(value):
    assert parse_date(value) == ""


def test_ingestion_still_reads_the_edges_of_the_range():
    assert (parse_date("1000-01-01"), parse_date("2999-12-31")) == ("1000-01-01", "2999-12-31")


@settings(max_examples=150, deadline=None)
@given(day=st.dates(min_value=date.min, max_value=date.max), phrase=st.sampled_from(PHRASES))
def test_resolving_a_phrase_never_raises_whatever_the_date(day, phrase):
    found = resolve_dates(f"Officials said {phrase}.", day.isoformat())
    found += find_time_expressions(f"Officials said {phrase}.", day)
    assert all(EARLIEST <= e.first <= e.last <= LATEST for e in found)


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=EARLIEST, max_value=LATEST), phrase=st.sampled_from(PHRASES))
def test_a_question_asked_as_of_any_day_in_range_has_a_time_scope(day, phrase):
    scope = question_time(f"What happened {phrase}?", parse_as_of(day.isoformat()))
    assert scope.as_of == day
    assert scope.until is None or scope.until <= day


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01", "0999-12-31"])
def test_an_as_of_outside_the_range_is_a_clear_error(as_of):
    with pytest.raises(AsOfError, match="out of range: give a day from 1000-01-01 to 2999-12-31"):
        parse_as_of(as_of)
    with pytest.raises(AsOfError, match="out of range"):
        question_time("What happened next week?", date.fromisoformat(as_of))
