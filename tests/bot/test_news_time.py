"""bot/news_time.py: time phrases of questions become periods or a wish for the latest news, as of a date."""
from __future__ import annotations

from datetime import date

import pytest

from bot.answer_types import Filters
from bot.news_time import AsOfError, TimePolicy, parse_as_of, question_time
from ingest.chunking import published_timestamp

AS_OF = date(2025, 7, 3)  # a Thursday


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize("question, since, until", [
    ("What did the Fed decide this week?", "2025-06-27", "2025-07-03"),
    ("Qu'a décidé la Fed cette semaine ?", "2025-06-27", "2025-07-03"),
    ("Who resigned last week?", "2025-06-23", "2025-06-29"),
    ("Qui a démissionné la semaine dernière ?", "2025-06-23", "2025-06-29"),
    ("What happened in Paris yesterday?", "2025-07-02", "2025-07-02"),
    ("Que s'est-il passé hier à Paris ?", "2025-07-02", "2025-07-02"),
    ("What is on the agenda today?", "2025-07-03", "2025-07-03"),
    ("Qu'y a-t-il à l'ordre du jour aujourd'hui ?", "2025-07-03", "2025-07-03"),
    ("Who won the election last month?", "2025-06-01", "2025-06-30"),
    ("Qui a gagné l'élection le mois dernier ?", "2025-06-01", "2025-06-30"),
    ("What did the minister announce in March?", "2025-03-01", "2025-03-31"),
    ("Qu'a annoncé la ministre en mars ?", "2025-03-01", "2025-03-31"),
    ("Which team won the title in 2023?", "2023-01-01", "2023-12-31"),
    ("Quelle équipe a gagné le titre en 2023 ?", "2023-01-01", "2023-12-31"),
    ("How many strikes have there been since June?", "2025-06-01", "2025-07-03"),
    ("Combien de grèves depuis juin ?", "2025-06-01", "2025-07-03"),
    # calendar periods dateparser does not read: not taken for "the latest" ("dernier")
    ("Qui a gagné l'élection l'an dernier ?", "2024-01-01", "2024-12-31"),
    ("Qu'a voté le Parlement l'année passée ?", "2024-01-01", "2024-12-31"),
    ("Qui a démissionné la semaine passée ?", "2025-06-23", "2025-06-29"),
    ("Qu'a annoncé la ministre le mois passé ?", "2025-06-01", "2025-06-30"),
    ("Who won the election last year?", "2024-01-01", "2024-12-31"),
    ("What did the board decide the previous month?", "2025-06-01", "2025-06-30"),
    # rolling spans up to as_of, weekends, parts of a day, ranges of months, abbreviated months
    ("What happened over the past three days?", "2025-06-30", "2025-07-03"),
    ("What was decided in the last 24 hours?", "2025-07-02", "2025-07-03"),
    ("What happened in the past week?", "2025-06-26", "2025-07-03"),
    ("Qu'a dit le ministre ces deux dernières semaines ?", "2025-06-19", "2025-07-03"),
    ("Combien de morts depuis trois jours ?", "2025-06-30", "2025-07-03"),
    ("Who won the race last weekend?", "2025-06-28", "2025-06-29"),
    ("Qui a gagné la course le week-end dernier ?", "2025-06-28", "2025-06-29"),
    ("What happened this weekend?", "2025-06-28", "2025-06-29"),  # asked on a Thursday: the last one
    ("What happened over the weekend?", "2025-06-28", "2025-06-29"),
    ("Qu'est-ce qui s'est passé pendant le week-end ?", "2025-06-28", "2025-06-29"),
    ("What did the president say this morning?", "2025-07-03", "2025-07-03"),
    ("Qu'a dit le président ce matin ?", "2025-07-03", "2025-07-03"),
    ("Qu'a dit le président hier soir ?", "2025-07-02", "2025-07-02"),
    ("How many jobs were created between March and May?", "2025-03-01", "2025-05-31"),
    ("Combien d'emplois créés entre mars et mai ?", "2025-03-01", "2025-05-31"),
    ("Who spoke on Sept. 24?", "2024-09-24", "2024-09-24"),
    ("What did the government announce this summer?", "2025-06-01", "2025-07-03"),
    ("Qu'a annoncé le gouvernement l'hiver dernier ?", "2024-12-01", "2025-02-28"),
    ("What aired on Sunday, Jan. 7, 2024?", "2024-01-07", "2024-01-07"),
    # ranges and lists of years, decades, part of a year
    ("What happened between 2020 and 2023?", "2020-01-01", "2023-12-31"),
    ("Qui a gouverné de 2017 à 2022 ?", "2017-01-01", "2022-12-31"),
    ("What happened in the 1990s?", "1990-01-01", "1999-12-31"),
    ("Que s'est-il passé dans les années 2020 ?", "2020-01-01", "2025-07-03"),
    ("Which laws passed in 2023 and 2024?", "2023-01-01", "2024-12-31"),
    ("Qu'a-t-il dit début 2024 ?", "2024-01-01", "2024-12-31"),
    ("What happened in mid-2024?", "2024-01-01", "2024-12-31"),
])
def test_periods_of_questions_in_both_languages(question, since, until):
    scope = question_time(question, AS_OF)
    assert (scope.since, scope.until) == (d(since), d(until)), scope.expressions
    assert scope.recent is False


@pytest.mark.parametrize("question", [
    "When did Trump and Putin last speak?", "What is the latest on the ceasefire talks?",
    "What is the most recent poll?", "Who has recently joined the team?",
    "Quand a eu lieu le dernier appel entre Trump et Poutine ?", "Qui a récemment rejoint l'équipe ?",
    "Quel est le sondage le plus récent ?", "What's new on the ceasefire?", "Quoi de neuf sur le cessez-le-feu ?",
    "Y a-t-il du nouveau dans l'enquête ?",
])
def test_questions_asking_for_the_latest_news(question):
    scope = question_time(question, AS_OF)
    assert scope.recent is True and scope.since is None


@pytest.mark.parametrize("question", ["When did the invasion of Ukraine begin?", "Qui a écrit Les Misérables ?",
                                      "Prices may rise: by how much?",
                                      # a period after as_of has no articles yet: the question names none
                                      "What is planned for next week?", "Qui parlera demain ?"])
def test_questions_without_time(question):
    scope = question_time(question, AS_OF)
    assert (scope.since, scope.until, scope.recent) == (None, None, False)


def test_periods_depend_on_as_of():
    assert question_time("Who won the election last month?", date(2024, 1, 10)).since == date(2023, 12, 1)
    # "in March" asked in March means this March, up to as_of
    scope = question_time("What happened in March?", date(2025, 3, 12))
    assert (scope.since, scope.until) == (date(2025, 3, 1), date(2025, 3, 12))
    # a period wholly after as_of is no period
    scope = question_time("What happened in 2026?", AS_OF)
    assert scope.since is None


def test_parse_as_of():
    assert parse_as_of("2025-07-03") == AS_OF
    assert parse_as_of("", today=AS_OF) == AS_OF
    assert parse_as_of(None, today=AS_OF) == AS_OF
    for bad in ("2025-13-01", "03/07/2025", "yesterday", "2025-07-03T10:00"):
        with pytest.raises(AsOfError, match="YYYY-MM-DD"):
            parse_as_of(bad)


def test_policy_windows_and_cutoff():
    policy = TimePolicy(recent_days=7, report_lag_days=2)
    plain = question_time("Who is the president of France?", AS_OF)
    assert policy.cutoff(Filters(), plain) == Filters(as_of="2025-07-03")
    [(window, weight)] = policy.windows(Filters(), plain)
    assert (window.since, window.until, weight) == ("2025-06-27", "2025-07-03", policy.recent_weight)  # 7 days
    last_week = question_time("Who resigned last week?", AS_OF)
    [(window, weight)] = policy.windows(Filters(lang="en"), last_week)
    # a week's news is published up to two days after it
    assert (window.since, window.until, window.lang, weight) == ("2025-06-23", "2025-07-01", "en", policy.period_weight)
    # a user's own date filter narrows the window; a window outside it is dropped
    assert policy.windows(Filters(until="2025-06-01"), last_week) == []
    assert policy.windows(Filters(), None) == []


def test_a_long_period_does_not_say_now_so_the_recent_window_is_searched_beside_it():
    policy = TimePolicy(recent_days=14)
    # "in 2025" asked on 3 July: the year up to as_of, and the fortnight before as_of beside it
    in_2025 = question_time("Who won the governor primary in 2025?", AS_OF)
    assert [(w.since, w.until, x) for w, x in policy.windows(Filters(), in_2025)] == [
        ("2025-01-01", "2025-07-03", policy.period_weight), ("2025-06-20", "2025-07-03", policy.recent_weight)]
    # a month or less ("this week", "in June") is itself the time asked about: no other window
    for question in ("Which state held a primary this week?", "Who resigned in June?"):
        [(window, weight)] = policy.windows(Filters(), question_time(question, AS_OF))
        assert weight == policy.period_weight
    # unless asked for, at a weight of its own (the month's window runs two days past it: report lag)
    beside = TimePolicy(recent_days=14, recent_beside_period_weight=0.25)
    june = beside.windows(Filters(), question_time("Who resigned in June?", AS_OF))
    assert [(w.since, w.until, x) for w, x in june] == [("2025-06-01", "2025-07-02", 1.0), ("2025-06-20", "2025-07-03", 0.25)]


# A small dated store: several calls between the same two leaders, one after the as_of of the
# tests, an undated copy of the story, and the old fact of 2022.
DATED = [
    ("call-0318", "2025-03-18", "Trump and Putin discuss a ceasefire by phone",
     "Donald Trump and Vladimir Putin spoke by phone for two hours about a ceasefire in Ukraine."),
    ("call-0614", "2025-06-14", "Trump and Putin speak about Iran",
     "Donald Trump and Vladimir Putin spoke by phone about the war between Israel and Iran."),
    ("call-0703", "2025-07-03", "Trump and Putin speak again",
     "Donald Trump and Vladimir Putin spoke by phone on Thursday, a day after arms deliveries to Ukraine were paused."),
    ("call-0710", "2025-07-10", "Another Trump–Putin call",
     "Donald Trump and Vladimir Putin spoke by phone again about sanctions and Ukraine."),
    ("call-undated", "", "Trump and Putin speak",
     "Donald Trump and Vladimir Putin spoke by phone about Ukraine and a possible summit."),
    ("invasion-2022", "2022-02-24", "Russia invades Ukraine",
     "Russia's invasion of Ukraine began on 24 February 2022, when Vladimir Putin ordered troops across the border."),
]


def bot_of(folder, e5, articles):
    """A bot over a real store of ``articles`` ((id, published, title, text), English wire copy)."""
    import json

    from bot.newsbot import NewsBot
    from ingest.pipeline import Ingester
    from ingest.settings import IngestSettings
    from ingest.store import Store

    records = folder / "articles.jsonl"
    records.write_text("".join(json.dumps({"id": i, "title": t, "text": x, "published": p, "source": "wire",
                                           "lang": "en"}) + "\n" for i, p, t, x in articles), encoding="utf-8")
    store = Store(folder / "store", e5)
    report = Ingester(store, IngestSettings()).ingest([str(records)], progress=False)
    assert report.errors == [] and report.articles == len(articles)
    return NewsBot(store)


@pytest.fixture(scope="module")
def dated_bot(tmp_path_factory, e5):
    return bot_of(tmp_path_factory.mktemp("dated"), e5, DATED)


def ids(bot, question, as_of, k=6):
    by_title = {t: i for i, _, t, _ in DATED}
    return [by_title[p.metadata["title"]] for p in bot.ask(question, k=k, as_of=as_of).passages]


def test_articles_after_as_of_are_never_retrieved_or_cited(dated_bot):
    answer = dated_bot.ask("When did Trump and Putin last speak?", k=6, as_of="2025-07-05")
    assert answer.as_of == "2025-07-05"
    assert "call-0710" not in ids(dated_bot, "When did Trump and Putin last speak?", "2025-07-05")
    assert all(c.published <= "2025-07-05" for c in answer.citations)
    early = ids(dated_bot, "When did Trump and Putin last speak?", "2025-06-20")
    assert not {"call-0703", "call-0710"} & set(early)
    # without as_of (today) every article may be found
    assert "call-0710" in ids(dated_bot, "When did Trump and Putin speak again about sanctions?", None)


def test_last_prefers_the_latest_report_and_undated_articles_are_kept_but_never_new(dated_bot):
    ranked = ids(dated_bot, "When did Trump and Putin last speak?", "2025-07-05")
    assert ranked[0] == "call-0703"
    assert "call-undated" in ranked  # kept
    assert ranked.index("call-undated") > ranked.index("call-0703")
    assert ids(dated_bot, "When did Trump and Putin last speak?", "2025-06-20")[0] == "call-0614"


def test_named_periods_favour_their_articles(dated_bot):
    assert ids(dated_bot, "What did Trump and Putin discuss by phone last month?", "2025-07-05")[0] == "call-0614"
    assert ids(dated_bot, "What did Trump and Putin discuss by phone in March?", "2025-07-05")[0] == "call-0318"
    assert ids(dated_bot, "De quoi Trump et Poutine ont-ils parlé en mars ?", "2025-07-05")[0] == "call-0318"


def test_old_facts_stay_findable(dated_bot):
    # the news of the week is favoured, but the 2022 article still answers
    assert "invasion-2022" in ids(dated_bot, "When did the invasion of Ukraine begin?", "2025-07-05")[:2]
    answer = dated_bot.ask("When did the invasion of Ukraine begin?", as_of="2025-07-05")
    assert "24 February 2022" in answer.answer, answer.answer


def test_citations_carry_dates_resolved_against_their_article(dated_bot):
    answer = dated_bot.ask("When did Trump and Putin last speak?", k=3, as_of="2025-07-05")
    dates = [d for c in answer.citations for d in c.dates]
    assert {"text": "Thursday", "value": "2025-07-03"} in [{"text": d["text"], "value": d["value"]} for d in dates]
    for c in answer.citations:
        for d in c.dates:
            assert c.passage[d["start"]:d["end"]] == d["text"]


def test_an_undated_store_ranks_exactly_as_without_time(piaf_small_store):
    from bot.retriever import HybridSearch

    search = HybridSearch(piaf_small_store)
    for question in ("Quel ruisseau débute à Villejust ?", "Qu'est-ce qui s'est passé la semaine dernière ?",
                     "Quelle est la dernière découverte ?"):
        scope = question_time(question, AS_OF)
        plain = [(p.chunk_id, round(p.score, 9)) for p in search.search(question, 8)]
        timed = [(p.chunk_id, round(p.score, 9)) for p in search.search(question, 8, time=scope)]
        assert timed == plain, question


def test_the_newest_day_of_a_sentence_is_never_after_its_article():
    from bot.news_time import newest_day

    published = "2025-07-03"  # a Thursday
    assert newest_day("Ils se sont parlé jeudi, après l'appel du 14 juin.", published, "fr") == d("2025-07-03")
    # what is announced has not happened; a duration dates nothing; "this week" ends today
    assert newest_day("They spoke on June 14 and will speak again next week.", published, "en") == d("2025-06-14")
    assert newest_day("Ce conflit dure depuis trois ans.", published, "fr") is None
    assert newest_day("Ils se sont parlé cette semaine.", published, "fr") == d("2025-07-03")


def test_an_older_day_beside_a_recent_period_is_the_subject_not_the_time():
    scope = question_time("The Jan. 6 committee held a hearing this week: who testified?", d("2022-07-01"))
    assert (scope.since, scope.until, scope.expressions) == (d("2022-06-25"), d("2022-07-01"), ("this week",))
    # periods of the same weeks are joined
    scope = question_time("What did Biden say at the July 4 celebration this week?", d("2025-07-06"))
    assert (scope.since, scope.until) == (d("2025-06-30"), d("2025-07-06"))
    # a recent day, not only a period up to as_of, makes an old decade the subject
    scope = question_time("Nichelle Nichols died Sunday. Which character did she play in the 1960s series?",
                          d("2022-08-05"))
    assert (scope.since, scope.until, scope.expressions) == (d("2022-07-31"), d("2022-07-31"), ("Sunday",))
    # alone, a decade is the time asked about
    assert question_time("Which dish was invented in the 1950s?", d("2024-11-26")).since == d("1950-01-01")



# An archive from before 1970: its publication timestamps are negative, and must still count as
# dates (0 is what marks an undated article).
ARCHIVE = [
    ("moon-1966", "1966-02-03", "Soviet probe lands on the Moon",
     "The Soviet probe Luna 9 landed softly on the Moon on Thursday and sent back the first pictures from its surface."),
    ("moon-1969", "1969-07-21", "Men land on the Moon",
     "The Apollo 11 lunar module landed on the Moon on Sunday and Neil Armstrong walked on its surface."),
    ("moon-undated", "", "How a Moon landing works",
     "A landing on the Moon needs a lunar module that slows down before it reaches the surface."),
]


@pytest.fixture(scope="module")
def archive_bot(tmp_path_factory, e5):
    return bot_of(tmp_path_factory.mktemp("archive"), e5, ARCHIVE)


def test_articles_before_1970_are_dated_and_undated_ones_stay_undated(archive_bot):
    def found(question, as_of=None, filters=None):
        return [p.article_id for p in archive_bot.ask(question, k=3, as_of=as_of, filters=filters).passages]

    question = "What was the latest landing on the Moon?"
    # as of 1967 the 1969 landing is not news yet; the undated article is kept
    assert set(found(question, "1967-01-01")) == {"moon-1966", "moon-undated"}
    # as of 1970 the latest report comes first, the undated one is never taken for new
    ranked = found(question, "1970-01-01")
    assert ranked[0] == "moon-1969" and ranked.index("moon-undated") > 0
    # a period of the 1960s holds dated articles only
    assert found(question, filters=Filters(since="1966-01-01", until="1966-12-31")) == ["moon-1966"]
    assert set(found(question, filters=Filters(since="1960-01-01"))) == {"moon-1966", "moon-1969"}
    assert set(found(question, filters=Filters(until="1968-01-01"))) == {"moon-1966"}
    assert published_timestamp("1970-01-01") == -1 and published_timestamp("") == 0
