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


def huge_history() -> list[Turn]:
    names = " ".join(f"Name{i}x" for i in range(20_000))  # 20,000 distinct names, 180 KB
    return [Turn("Who won the match?", "Lyon [1].")] * 5_000 + [Turn(f"When did {names} meet?", "A" * 1_000_000)]


def test_only_the_latest_turns_are_read_each_cut_short():
    from bot.followup import RECENT_TURNS, TURN_CHARS, recent_turns

    turns = recent_turns(huge_history())
    assert len(turns) == RECENT_TURNS
    assert all(len(t.question) <= TURN_CHARS and len(t.answer) <= TURN_CHARS for t in turns)
    assert turns[-1].question.startswith("When did Name0x Name1x")


@pytest.mark.timeout(120)  # unbounded, this history took minutes
def test_a_follow_up_after_a_huge_history_stays_a_short_query(seed_store):
    from bot.newsbot import NewsBot

    answer = NewsBot(seed_store).ask("And before that?", history=huge_history())
    from bot.followup import MAX_CARRIED_WORDS  # imported here: the call above is what is tested

    query = getattr(answer, "query", "")
    assert query.startswith("And before that?") and "Name0x" in query
    assert len(query.split()) <= len("And before that?".split()) + MAX_CARRIED_WORDS


def test_turns_are_built_one_way_from_what_clients_send():
    from bot.errors import QuestionError
    from bot.followup import turns_from

    assert turns_from(None) == []
    assert turns_from([{"question": "q1", "answer": "a1"}, {"question": "q2", "answer": {"answer": "a2 [1]"}},
                       {"question": "q3"}]) == [Turn("q1", "a1"), Turn("q2", "a2 [1]"), Turn("q3", "")]
    for bad in ("text", [["q", "a"]], [{"question": 3, "answer": ""}], [{"question": "q", "answer": {"answer": 1}}]):
        with pytest.raises(QuestionError) as err:
            turns_from(bad)
        assert err.value.http_status == 422
