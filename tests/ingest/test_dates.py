"""ingest/dates.py: time phrases of French and English text resolved against a publication date."""
from __future__ import annotations

from datetime import date

import pytest
from newsbot_testdata import sample

from ingest.dates import find_time_expressions, iso_value, period_bounds, resolve_dates

THURSDAY = date(2025, 7, 3)  # the seed article's day


def values(text: str, base: date | None = THURSDAY, langs=("fr", "en")) -> dict[str, str]:
    return {e.text: e.value for e in find_time_expressions(text, base, langs)}


def test_seed_article_dates_resolve_against_its_thursday_publication():
    text = sample()["text"]  # the sample article on the Trump–Putin call, published Thursday 3 July 2025
    found = resolve_dates(text, "2025-07-03", "fr")
    values = {e.text: e.value for e in found}
    assert values["jeudi"] == "2025-07-03"  # "L'appel de jeudi"
    assert {v for t, v in values.items() if "3 juillet 2025" in t} == {"2025-07-03"}
    assert {v for t, v in values.items() if "14 juin 2025" in t} == {"2025-06-14"}
    for e in found:  # offsets point at the words
        assert text[e.start:e.end] == e.text


@pytest.mark.parametrize("phrase, value", [
    ("jeudi", "2025-07-03"), ("mercredi", "2025-07-02"), ("vendredi", "2025-06-27"), ("jeudi dernier", "2025-06-26"),
    ("le 14 juin", "2025-06-14"), ("le 1er mai 2024", "2024-05-01"), ("hier", "2025-07-02"),
    ("avant-hier", "2025-07-01"), ("aujourd'hui", "2025-07-03"), ("il y a trois jours", "2025-06-30"),
    ("cette semaine", "2025-W27"), ("la semaine dernière", "2025-W26"), ("le mois dernier", "2025-06"),
    ("ce mois-ci", "2025-07"), ("juin 2024", "2024-06"), ("l'année dernière", "2024"),
])
def test_french_phrases(phrase, value):
    assert values(f"Il l'a dit {phrase}, selon l'AFP.", langs=("fr",)) == {phrase: value}


@pytest.mark.parametrize("phrase, value", [
    ("Thursday", "2025-07-03"), ("Wednesday", "2025-07-02"), ("last Thursday", "2025-06-26"),
    ("June 14", "2025-06-14"), ("14 June 2024", "2024-06-14"), ("yesterday", "2025-07-02"), ("today", "2025-07-03"),
    ("two days ago", "2025-07-01"), ("this week", "2025-W27"), ("last week", "2025-W26"), ("last month", "2025-06"),
    ("June 2024", "2024-06"), ("last year", "2024"),
])
def test_english_phrases(phrase, value):
    assert values(f"He said {phrase}, according to AP.", langs=("en",)) == {phrase: value}


@pytest.mark.parametrize("phrase, value, lang", [
    # calendar periods dateparser does not read
    ("l'an dernier", "2024", "fr"), ("l'année passée", "2024", "fr"), ("le mois passé", "2025-06", "fr"),
    ("la semaine passée", "2025-W26", "fr"), ("previous month", "2025-06", "en"), ("previous year", "2024", "en"),
    # parts of a day
    ("this morning", "2025-07-03", "en"), ("last night", "2025-07-02", "en"), ("ce matin", "2025-07-03", "fr"),
    ("hier soir", "2025-07-02", "fr"),
    # abbreviated months, as news agencies write them
    ("Sept. 24", "2024-09-24", "en"), ("Jan. 7, 2024", "2024-01-07", "en"), ("Aug 23", "2024-08-23", "en"),
    ("Dec. 2023", "2023-12", "en"), ("12 janv. 2024", "2024-01-12", "fr"), ("le 3 sept. 2024", "2024-09-03", "fr"),
    # what is coming, as articles announce it
    ("tomorrow", "2025-07-04", "en"), ("demain", "2025-07-04", "fr"), ("après-demain", "2025-07-05", "fr"),
    ("next week", "2025-W28", "en"), ("la semaine prochaine", "2025-W28", "fr"), ("le mois prochain", "2025-08", "fr"),
    ("l'an prochain", "2026", "fr"), ("next Monday", "2025-07-07", "en"), ("jeudi prochain", "2025-07-10", "fr"),
    # several days: ISO intervals
    ("the past 3 days", "2025-06-30/2025-07-03", "en"), ("the last 24 hours", "2025-07-02/2025-07-03", "en"),
    ("the past week", "2025-06-26/2025-07-03", "en"), ("the last six months", "2025-01-03/2025-07-03", "en"),
    ("ces trois derniers jours", "2025-06-30/2025-07-03", "fr"), ("depuis 48 heures", "2025-07-01/2025-07-03", "fr"),
    ("this weekend", "2025-07-05/2025-07-06", "en"), ("last weekend", "2025-06-28/2025-06-29", "en"),
    ("le week-end dernier", "2025-06-28/2025-06-29", "fr"),
    ("between March and May", "2025-03-01/2025-05-31", "en"),
    ("from November to February", "2024-11-01/2025-02-28", "en"),
    ("entre mars et mai", "2025-03-01/2025-05-31", "fr"), ("de janvier à mars 2024", "2024-01-01/2024-03-31", "fr"),
    ("between October 2021 and November 2022", "2021-10-01/2022-11-30", "en"),
    ("July 1-3", "2025-07-01/2025-07-03", "en"), ("June 28–30, 2025", "2025-06-28/2025-06-30", "en"),
    ("3-5 July 2024", "2024-07-03/2024-07-05", "en"), ("du 30 juin au 2 juillet", "2025-06-30/2025-07-02", "fr"),
    ("du 1er au 3 juillet 2025", "2025-07-01/2025-07-03", "fr"),
    ("du 28 décembre au 2 janvier", "2024-12-28/2025-01-02", "fr"),
    # meteorological seasons
    ("this summer", "2025-06-01/2025-08-31", "en"), ("last winter", "2024-12-01/2025-02-28", "en"),
    ("the summer of 2024", "2024-06-01/2024-08-31", "en"), ("fall 2024", "2024-09-01/2024-11-30", "en"),
    ("cet été", "2025-06-01/2025-08-31", "fr"), ("l'été dernier", "2024-06-01/2024-08-31", "fr"),
    ("au printemps 2024", "2024-03-01/2024-05-31", "fr"), ("le printemps prochain", "2026-03-01/2026-05-31", "fr"),
    # ranges of years and decades
    ("between 2020 and 2023", "2020-01-01/2023-12-31", "en"), ("from 2019 to 2021", "2019-01-01/2021-12-31", "en"),
    ("2019-2021", "2019-01-01/2021-12-31", "en"), ("the 1990s", "1990-01-01/1999-12-31", "en"),
    ("entre 2020 et 2022", "2020-01-01/2022-12-31", "fr"), ("de 2017 à 2022", "2017-01-01/2022-12-31", "fr"),
    ("les années 1980", "1980-01-01/1989-12-31", "fr"),
])
def test_more_phrases_of_news(phrase, value, lang):
    text = f"Il l'a dit {phrase}, selon l'AFP." if lang == "fr" else f"He said {phrase}, according to AP."
    assert values(text, langs=(lang,)) == {phrase: value}


def test_a_year_with_early_late_or_a_second_year_is_read():
    assert values("It began in early 2024, grew in 2022 and 2023, peaked mid-2024.", langs=("en",)) == {
        "2024": "2024", "2022": "2022", "2023": "2023"}
    assert values("Début 2024, puis fin 2023 ; en 2020 ou 2021.", langs=("fr",)) == {
        "2024": "2024", "2023": "2023", "2020": "2020", "2021": "2021"}
    # two years the wrong way round, or a phone number, are no range
    assert all("/" not in v for v in values("between 2023 and 2020; call 555-2020", langs=("en",)).values())
    assert values("call 555-2020 or 1999-1998", langs=("en",)) == {}


def test_words_that_only_look_like_dates_are_not_dates():
    # "sept" without its period is seven; a bare "la semaine", "le mois", "le week-end" name no particular one
    assert values("Il a attendu sept jours, toute la semaine et le mois, puis le week-end.", langs=("fr",)) == {}
    # "depuis plus de trois ans" is a duration, not a day
    assert values("ce conflit qui dure depuis plus de trois ans", langs=("fr",)) == {}


def test_the_middle_of_a_month_is_that_month():
    assert values("He left in mid-June.", langs=("en",)) == {"June": "2025-06"}
    assert values("Il est parti à la mi-juin.", langs=("fr",)) == {"juin": "2025-06"}


def test_a_newspaper_named_today_is_not_a_day():
    text = "USA TODAY reported it; FLORIDA TODAY and USA Today too. Today, he said the vote is today."
    assert [e.text for e in find_time_expressions(text, THURSDAY, ("en",))] == ["Today", "today"]


def test_a_weekend_is_the_coming_one_late_in_the_week_and_the_last_one_early():
    monday = date(2025, 6, 30)
    assert values("this weekend", base=monday, langs=("en",)) == {"this weekend": "2025-06-28/2025-06-29"}
    assert values("this weekend", base=THURSDAY, langs=("en",)) == {"this weekend": "2025-07-05/2025-07-06"}
    assert values("last weekend", base=monday, langs=("en",)) == {"last weekend": "2025-06-28/2025-06-29"}
    # "over the weekend" / "pendant le week-end" read like "this weekend"; "this past weekend" like "last weekend"
    assert values("Storms are expected over the weekend.", base=THURSDAY, langs=("en",)) == {
        "over the weekend": "2025-07-05/2025-07-06"}
    assert values("It rained over the weekend.", base=monday, langs=("en",)) == {"over the weekend": "2025-06-28/2025-06-29"}
    assert values("Il a plu pendant le week-end.", base=monday, langs=("fr",)) == {"pendant le week-end": "2025-06-28/2025-06-29"}
    assert values("this past weekend", base=THURSDAY, langs=("en",)) == {"this past weekend": "2025-06-28/2025-06-29"}
    sunday = date(2025, 7, 6)  # a weekend is not over on its Sunday
    assert values("last weekend", base=sunday, langs=("en",)) == {"last weekend": "2025-06-28/2025-06-29"}


def test_month_and_year_need_a_preposition_and_keep_their_precision():
    assert values("Il est parti en mars puis en 2023.", langs=("fr",)) == {"mars": "2025-03", "2023": "2023"}
    assert values("It began in March and grew in 2023.", langs=("en",)) == {"March": "2025-03", "2023": "2023"}
    # "may" the verb and "Mars" the planet are not dates
    assert values("Prices may rise. La sonde est arrivée sur Mars.") == {}


def test_a_day_after_the_question_is_taken_from_the_year_before():
    # a question asks about what has happened up to as_of
    assert values("le 4 juillet", langs=("fr",)) == {"le 4 juillet": "2024-07-04"}


def test_an_article_names_coming_days_too_and_a_weekday_fixes_the_year():
    def dated(text, published, lang):
        return {e.text: e.value for e in resolve_dates(text, published, lang)}

    # published on Tuesday 2024-01-23: the primaries it previews are in the days to come
    text = "Next is the South Carolina primary on Feb. 3, then a debate on Thursday, Feb. 8. It began on Jan. 2."
    assert dated(text, "2024-01-23", "en") == {"Feb. 3": "2024-02-03", "Thursday, Feb. 8": "2024-02-08",
                                               "Jan. 2": "2024-01-02"}
    assert dated("La fête aura lieu le 4 juillet ; le 14 juin, il pleuvait.", "2025-07-03", "fr") == {
        "le 4 juillet": "2025-07-04", "le 14 juin": "2025-06-14"}
    # a weekday that fits only one year decides, near the turn of the year as well
    assert dated("The vote is on Sunday, Jan. 7.", "2023-12-28", "en") == {"Sunday, Jan. 7": "2024-01-07"}
    assert dated("Le mardi 31 décembre, il a neigé.", "2025-01-10", "fr") == {"Le mardi 31 décembre": "2024-12-31"}
    # in a question, a weekday that contradicts the latest year before as_of picks the year it fits
    assert values("Sunday, Jan. 7", base=date(2024, 1, 5), langs=("en",)) == {"Sunday, Jan. 7": "2024-01-07"}


def test_undated_article_resolves_only_phrases_that_name_their_year():
    text = "Le 14 juin 2024, puis jeudi et le mois dernier."
    assert values(text, base=None) == {"Le 14 juin 2024": "2024-06-14"}
    assert [e.to_dict() for e in resolve_dates(text, "")] == [
        {"text": "Le 14 juin 2024", "start": 0, "end": 15, "value": "2024-06-14"}]


def test_periods_and_values():
    assert period_bounds(THURSDAY, "week") == (date(2025, 6, 30), date(2025, 7, 6))
    assert period_bounds(date(2024, 2, 10), "month") == (date(2024, 2, 1), date(2024, 2, 29))
    assert period_bounds(THURSDAY, "year") == (date(2025, 1, 1), date(2025, 12, 31))
    assert [iso_value(THURSDAY, p) for p in ("day", "week", "month", "year")] == ["2025-07-03", "2025-W27", "2025-07", "2025"]


QUICK_PHRASES = [
    ("jeudi", "weekday", "fr"), ("vendredi", "weekday", "fr"), ("Sunday's", "weekday", "en"),
    ("jeudi dernier", "weekday_last", "fr"), ("last Monday", "weekday_last", "en"),
    ("14 juin", "date", "fr"), ("le 1er août", "date", "fr"), ("14 juin 2023", "date", "fr"),
    ("the 3rd of March, 2024", "date", "en"), ("June 14", "date", "en"), ("31 décembre", "date", "fr"),
    ("avril 2024", "month", "fr"), ("août", "month", "fr"), ("December", "month", "en"), ("2022", "year", "fr"),
    ("hier", "relative", "fr"), ("il y a 3 jours", "relative", "fr"), ("avant-hier", "relative", "fr"),
    ("yesterday", "relative", "en"), ("today", "relative", "en"), ("12 days ago", "relative", "en"),
    ("this week", "relative", "en"), ("last week", "relative", "en"), ("last month", "relative", "en"),
    ("this year", "relative", "en"), ("last year", "relative", "en"), ("cette semaine", "relative", "fr"),
    ("la semaine dernière", "relative", "fr"), ("le mois dernier", "relative", "fr"), ("ce mois-ci", "relative", "fr"),
    ("cette année", "relative", "fr"), ("l'année dernière", "relative", "fr"), ("Sept. 24", "date", "en"),
    ("Jan. 7, 2024", "date", "en"), ("three weeks ago", "relative", "en"), ("a year ago", "relative", "en"),
    ("two months ago", "relative", "en"), ("50 years ago", "relative", "en"), ("il y a deux semaines", "relative", "fr"),
    ("il y a trois mois", "relative", "fr"), ("il y a 2 ans", "relative", "fr"),
]


@pytest.mark.parametrize("base", [date(2025, 7, 4), date(2024, 2, 29), date(2023, 1, 1), date(2020, 12, 31),
                                  date(2026, 11, 26)])
def test_common_phrases_are_resolved_without_dateparser_exactly_as_dateparser_does(base):
    from ingest.dates import _clean, _quick, _resolve_slowly, period_bounds

    for phrase, kind, lang in QUICK_PHRASES:
        text = _clean(phrase, kind, lang)
        quick = _quick(text, kind, base)
        assert quick is not None, phrase
        slow = _resolve_slowly(text, kind, base, lang)
        assert slow is not None and period_bounds(*quick) == period_bounds(*slow), (phrase, base, quick, slow)
