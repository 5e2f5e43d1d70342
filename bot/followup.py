"""Follow-up questions: "And before that?" becomes a question that can be searched on its own.

Without a language model the previous question's names and keywords are carried over
deterministically; with one (``LLMAnswerer.rewrite``) the chat model rewrites the question.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.lexical import QUESTION_WORDS, fold, words

from .errors import QuestionError

# Openings and words that make a question lean on the one before it.
_LEADS = re.compile(
    r"^\s*(and|et|but|mais|also|aussi|then|puis|ensuite|what about|how about|and what about|et (pour|concernant|quant a)"
    r"|quid de|same|pareil|idem)\b", re.IGNORECASE)
_REFERRING = frozenset("""it its they them their he him his she her this that these those there then before after earlier later
again else other one ones il elle ils elles lui leur leurs ce cela ca celui celle ceux celles la-bas avant apres alors
encore autre autres precedent precedente suivant suivante dernier derniere""".split())
# Words about time and sequence that are the follow-up's own point, never carried over.
_OWN = frozenset("before after earlier later next previous avant apres precedent suivant ensuite puis".split())
_NAME_RE = re.compile(r"\b[A-ZÀ-Ý][\w'’-]+")
# Follow-up work is bounded whatever a client sends: the latest turns only, each cut short, and
# a rewritten question at most this many words longer than the follow-up (the query embedding
# costs time in proportion to the query's length).
RECENT_TURNS = 6
TURN_CHARS = 2000
MAX_CARRIED_WORDS = 16


@dataclass
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str = ""


def turns_from(history) -> list[Turn]:
    """The turns of a conversation as clients send it: a list of ``{"question", "answer"}`` objects,
    the answer a string or an answer object holding one under ``"answer"`` (as the chat keeps it).
    The one way every door builds :class:`Turn` objects; a :class:`QuestionError` says what is wrong."""
    if history is None:
        return []
    if not isinstance(history, list) or not all(isinstance(t, dict) for t in history):
        raise QuestionError('history is a list of {"question", "answer"} objects')
    turns = []
    for t in history:
        answer = t.get("answer", "")
        if isinstance(answer, dict):
            answer = answer.get("answer", "")
        question = t.get("question", "")
        if not isinstance(question, str) or not isinstance(answer, str):
            raise QuestionError("each turn's question and answer are strings")
        turns.append(Turn(question, answer))
    return turns


def recent_turns(history: list[Turn] | None, turns: int = RECENT_TURNS, chars: int = TURN_CHARS) -> list[Turn]:
    """The last ``turns`` turns of ``history``, each question and answer cut to ``chars`` characters."""
    return [Turn(t.question[:chars], t.answer[:chars]) for t in (history or [])[-turns:]] if turns else []


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in QUESTION_WORDS]


def is_followup(question: str, history: list[Turn] | None) -> bool:
    """True when ``question`` cannot stand alone: short, opening with "and…"/"et…", or referring back."""
    if not history:
        return False
    content = content_words(question)
    folded = fold(question)
    if len(content) <= 2:
        return True
    if _LEADS.match(folded) and len(content) <= 5:
        return True
    tokens = set(re.findall(r"[\w-]+", folded))
    has_name = bool(_NAME_RE.search(question[1:]))
    return bool(tokens & _REFERRING) and not has_name and len(content) <= 5


def _anchor(history: list[Turn]) -> str:
    """The latest earlier question that stands on its own (with the follow-ups after it)."""
    parts: list[str] = []
    for i in range(len(history) - 1, -1, -1):
        parts.insert(0, history[i].question)
        if not is_followup(history[i].question, history[:i]):
            break
    return " ".join(parts)


def carry_over(question: str, history: list[Turn]) -> str:
    """``question`` followed by the earlier question's names and keywords that it lacks."""
    anchor = _anchor(history)
    have = set(words(question))
    # The earlier question's "when"/"who"… is kept unless the follow-up asks its own, so the
    # answer is still sought as a date, a person…
    keep_question_words = not (have & QUESTION_WORDS)
    extra: list[str] = []
    for w in re.findall(r"[\w'’-]+", anchor):
        f = fold(w)
        ws = words(w)
        if not ws or any(x in have or x in _OWN or (x in QUESTION_WORDS and not keep_question_words) for x in ws) \
                or f in (fold(e) for e in extra):
            continue
        extra.append(w)
        have.update(ws)
        if len(extra) >= MAX_CARRIED_WORDS:
            break
    return f"{question} {' '.join(extra)}".strip() if extra else question


def standalone_question(question: str, history: list[Turn] | None, rewrite=None) -> str:
    """The question to search with: unchanged unless it is a follow-up.

    ``rewrite(question, history) -> str | None`` (an LLM) is tried first; when it is missing,
    fails or returns nothing, the earlier question's keywords are carried over.
    """
    if not is_followup(question, history):
        return question
    if rewrite is not None:
        try:
            text = rewrite(question, history)
        except Exception:  # the LLM is optional; a failure must not lose the conversation
            text = None
        if text and text.strip():
            return text.strip()
    return carry_over(question, history or [])
