"""The events of an answer stream: tokens and notices as the answer is written, then the answer.

Every answerer's ``stream``, ``NewsBot.stream`` and the server's typing effect yield them; the
front ends match on their type.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .answer_types import Answer


@dataclass(frozen=True)
class TokenEvent:
    """A piece of the answer's text, as it is written."""

    text: str


@dataclass(frozen=True)
class NoticeEvent:
    """Something the reader should know about the answer (the LLM did not answer, a citation was removed)."""

    text: str


@dataclass(frozen=True)
class AnswerEvent:
    """The final answer; an answer stream ends with exactly one."""

    answer: Answer


StreamEvent = TokenEvent | NoticeEvent | AnswerEvent


def answer_of(events: Iterable[StreamEvent]) -> Answer:
    """The :class:`Answer` an answer stream ends with (its :class:`AnswerEvent`); the token and
    notice events before it are passed over."""
    answer = None
    for event in events:
        if isinstance(event, AnswerEvent):
            answer = event.answer
    if answer is None:
        raise RuntimeError("an answer stream ended without its answer event")
    return answer
