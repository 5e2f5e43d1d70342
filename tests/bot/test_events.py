"""bot/events.py: the typed events of an answer stream and the answer read from one."""
from __future__ import annotations

import dataclasses

import pytest

from bot.answer_types import Answer
from bot.events import AnswerEvent, NoticeEvent, TokenEvent, answer_of


def test_answer_of_reads_the_answer_event_past_tokens_and_notices():
    answer = Answer(question="q", answer="It rained [1].", refused=False)
    events = [TokenEvent("It "), NoticeEvent("1 unsupported citation removed"), TokenEvent("rained."),
              AnswerEvent(answer)]
    assert answer_of(iter(events)) is answer


def test_a_stream_without_its_answer_event_is_an_error():
    with pytest.raises(RuntimeError, match="without its answer event"):
        answer_of([TokenEvent("It "), NoticeEvent("the language model did not answer")])


def test_events_are_frozen_and_compare_by_value():
    token = TokenEvent("word ")
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.text = "other"  # type: ignore[misc]
    assert token == TokenEvent("word ") and token != NoticeEvent("word ")
