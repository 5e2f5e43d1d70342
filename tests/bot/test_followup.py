"""Follow-up detection and the deterministic carry-over of the earlier question's keywords."""
from __future__ import annotations

import pytest

from bot.followup import Turn, carry_over, is_followup, standalone_question

HISTORY = [Turn("When did Trump and Putin last speak?", "On 14 June [1].")]


@pytest.mark.parametrize("question", ["And before that?", "Et avant ?", "Why?", "Et Zelensky ?", "What about them?"])
def test_short_or_referring_questions_are_follow_ups(question):
    assert is_followup(question, HISTORY)


@pytest.mark.parametrize("question", ["What did Trump say about the Ukrainian resistance?",
                                      "Pourquoi la relation entre Trump et Poutine s'est-elle dégradée ?"])
def test_complete_questions_stand_alone(question):
    assert not is_followup(question, HISTORY)
    assert standalone_question(question, HISTORY) == question


def test_nothing_is_a_follow_up_without_history():
    assert not is_followup("Et avant ?", [])
    assert standalone_question("Et avant ?", None) == "Et avant ?"


def test_carry_over_adds_the_earlier_names_and_keywords_once():
    q = carry_over("And before that?", HISTORY)
    assert q.startswith("And before that?")
    for w in ("Trump", "Putin", "speak", "When"):
        assert w in q
    assert q.count("Trump") == 1 and "before" not in q[len("And before that?"):]
    # A follow-up of a follow-up reaches back to the question that stood alone.
    chain = HISTORY + [Turn("And before that?", "Ten days earlier [1].")]
    assert "Putin" in carry_over("Et avant ?", chain)


def test_own_question_word_replaces_the_earlier_one():
    q = carry_over("Why?", HISTORY)
    assert "Trump" in q and "When" not in q


def test_failing_rewriter_falls_back_to_carry_over():
    def broken(question, history):
        raise TimeoutError("endpoint down")

    assert standalone_question("Et avant ?", HISTORY, broken) == carry_over("Et avant ?", HISTORY)
    assert standalone_question("Et avant ?", HISTORY, lambda q, h: "Quand avant le 14 juin ?") == "Quand avant le 14 juin ?"
