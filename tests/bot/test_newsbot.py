"""NewsBot end to end on the real seed store: ask, stream, follow-ups, filters, timings."""
from __future__ import annotations

import json

import pytest

from bot.answer_types import Filters
from bot.events import AnswerEvent
from bot.extractive import ExtractiveAnswerer
from bot.newsbot import NewsBot, Turn
from ingest.lexical import tokenize

QUESTION = "When did Trump and Putin last speak?"


@pytest.fixture(scope="module")
def bot(seed_store) -> NewsBot:
    return NewsBot(seed_store)


def test_ask_returns_a_cited_answer_with_passages_and_timings(bot):
    answer = bot.ask("Why did the Pentagon pause some weapons deliveries?")
    assert not answer.refused and "vérifier l'état de ses propres stocks" in answer.answer.split("[1]")[0]
    assert answer.passages and answer.passages[0].score >= answer.passages[-1].score
    assert {c.chunk_id for c in answer.citations} <= {p.chunk_id for p in answer.passages}
    assert set(answer.timings) >= {"retrieve_ms", "answer_ms"}
    d = json.loads(json.dumps(answer.to_dict()))
    assert d["refused"] is False and d["citations"][0]["n"] == 1


class RecordingAnswerer(ExtractiveAnswerer):
    """The extractive answerer, keeping what it was handed."""

    def answer(self, question, passages, lang="en", avoid=(), idf=None):
        self.handed = (passages, idf)
        return super().answer(question, passages, lang, avoid, idf)


def test_the_answerer_is_handed_the_passages_and_the_idf_of_the_search(seed_store):
    answerer = RecordingAnswerer()
    answer = NewsBot(seed_store, answerer=answerer).ask(QUESTION)
    passages, idf = answerer.handed
    assert passages == answer.passages and idf is not None
    (stem,) = tokenize("Poutine", "fr")
    assert idf(stem) > 0 and idf("zzzunseenword") == 0  # the rarity of words of the store it searched
    assert answer.answer == ExtractiveAnswerer().answer(QUESTION, passages, "en", (), idf).answer

def test_k_bounds_the_passages(samples_store):
    assert len(NewsBot(samples_store).ask(QUESTION, k=2).passages) == 2  # six articles, one chunk each


def test_stream_of_an_extractive_answer_is_the_answer_whole(bot):
    # The extractive answerer does not write word by word (streams_tokens is False): its stream is
    # the final answer alone; the chat's typing effect is the server's (tests/ui/test_chat.py).
    events = list(bot.stream("Which missiles were among the paused deliveries to Ukraine?"))
    assert not bot.answerer.streams_tokens
    assert [type(e) for e in events] == [AnswerEvent]
    assert events[0].answer.answer == bot.ask("Which missiles were among the paused deliveries to Ukraine?").answer
    assert events[0].answer.citations


def test_follow_up_uses_history_and_does_not_repeat_itself(bot):
    first = bot.ask(QUESTION)
    follow = bot.ask("Et avant ?", history=[Turn(QUESTION, first.answer)])
    assert follow.question == "Et avant ?"
    assert "Trump" in follow.query and "Putin" in follow.query  # searched with the earlier question's keywords
    assert not follow.refused
    assert follow.answer.split(" [")[0] not in first.answer  # a new sentence, not the same quote again
    assert "14 juin 2025" in follow.answer  # the call before


def test_follow_up_without_history_is_asked_as_is(bot):
    answer = bot.ask("Et avant ?")
    assert answer.query == ""


def test_filters_reach_the_search(bot):
    answer = bot.ask(QUESTION, filters=Filters(lang="en"))  # the only article is French
    assert answer.refused and answer.passages == [] and answer.citations == []
    assert answer.answer == "The articles do not say."
    assert bot.ask(QUESTION, filters=Filters.from_dict({"lang": "fr"})).passages
