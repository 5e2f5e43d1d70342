"""The answerer contract: a question and retrieved passages in, an :class:`Answer` with citations out.

Every answerer (:mod:`bot.extractive`, :mod:`bot.reading_answerer`, :mod:`bot.llm`) is an
:class:`Answerer`; ``NewsBot`` calls nothing else. :func:`refusal` is the answer of all of them
when the articles do not answer.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Iterator

from .answer_types import Answer, Passage
from .events import AnswerEvent, StreamEvent
from .sentence_scorer import Idf

REFUSAL = {
    "en": "The articles do not say.",
    "fr": "Les articles ne le disent pas.",
}


class Answerer(ABC):
    """The one contract of every answerer; ``NewsBot`` relies on nothing else.

    - :meth:`answer` (required): the answer to ``question`` from ``passages`` (best first), in
      ``lang``; ``avoid`` holds earlier answers of the conversation, not to be repeated; ``idf``
      is the rarity of a stemmed word in the index the passages were found in (None: unknown).
      An answer depends on these inputs alone.
    - :meth:`stream`: :class:`~bot.events.TokenEvent` and :class:`~bot.events.NoticeEvent`
      events then one :class:`~bot.events.AnswerEvent`; by default only the final answer. An answerer that writes
      its answer piece by piece sets ``streams_tokens`` and yields its tokens.
    - :meth:`rewrite`: a follow-up rewritten as a standalone question, or None (the default)
      to let the bot carry the earlier question's words over.
    - :meth:`order_passages`: the passages in the order this answerer trusts them (default: as given).
    - :meth:`describe`: its name and settings, recorded with every evaluation result.
    """

    answerer_name: ClassVar[str] = "answerer"
    streams_tokens: ClassVar[bool] = False

    @abstractmethod
    def answer(self, question: str, passages: list[Passage], lang: str = "en", avoid: tuple[str, ...] = (),
               idf: Idf | None = None) -> Answer:
        ...

    def stream(self, question: str, passages: list[Passage], lang: str = "en",
               avoid: tuple[str, ...] = (), idf: Idf | None = None) -> Iterator[StreamEvent]:
        yield AnswerEvent(self.answer(question, passages, lang, avoid, idf))

    def rewrite(self, question: str, history) -> str | None:
        return None

    def order_passages(self, question: str, passages: list[Passage], lang: str = "en",
                       idf: Idf | None = None) -> list[Passage]:
        return passages

    def describe(self) -> dict:
        return {"answerer": self.answerer_name}


def refusal(question: str, lang: str, confidence: float = 0.0) -> Answer:
    return Answer(question=question, answer=REFUSAL.get(lang, REFUSAL["en"]), refused=True, citations=[],
                  confidence=confidence)
