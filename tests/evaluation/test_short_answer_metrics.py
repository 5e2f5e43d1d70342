"""The short answer in the evaluation: SQuAD's token F1, whether a short answer is right, and how
often one is shown and right over a run's records."""
from __future__ import annotations

import pytest

from bot.answer_types import Answer, Citation
from evaluation import metrics as m
from evaluation.evaluate import aggregate, score_answer
from evaluation.qa import QAItem


def test_squad_normalisation_drops_case_punctuation_and_articles_in_both_languages():
    assert m.squad_normalize("The Hague.") == ["hague"]
    assert m.squad_normalize("l’Iran, la guerre") == ["iran", "guerre"]
    assert m.squad_normalize("Le 14 juin") == ["14", "juin"]


@pytest.mark.parametrize("pred, gold, f1", [
    ("14 juin", "le 14 juin", 1.0),
    ("jeudi 3 juillet 2025", "jeudi", 0.4),               # precision 1/4, recall 1: 2·0.25/1.25
    ("Truth Social", "Truth Social network", 0.8),
    ("Chicago", "Peru", 0.0),
    ("", "Peru", 0.0),
    ("the", "the", 0.0),                                 # nothing left after normalisation
])
def test_token_f1(pred, gold, f1):
    assert m.token_f1(pred, gold) == pytest.approx(f1)


def test_a_short_answer_is_right_at_f1_0_5_against_any_gold_answer():
    assert m.short_answer_right("le 14 juin", ["jeudi", "14 juin"])
    assert not m.short_answer_right("jeudi 3 juillet 2025", ["jeudi"])   # F1 0.4
    assert not m.short_answer_right("", ["jeudi"])


def _answer(short: str, refused: bool = False) -> Answer:
    text = "Ils se sont parlé le jeudi 3 juillet. [1]"
    c = Citation(n=1, article_id="a", title="t", source="", url="", published="", passage=text[:-4], start=0,
                 end=len(text) - 4)
    return Answer(question="q", answer=text, refused=refused, citations=[c], short_answer=short)


def test_records_carry_the_short_answer_and_the_run_counts_shown_and_right():
    item = QAItem(id="q1", question="Quand ?", answers=("jeudi 3 juillet",))
    right = score_answer(item, _answer("jeudi 3 juillet"), 10.0)
    wrong = score_answer(QAItem(id="q2", question="Où ?", answers=("Paris",)), _answer("jeudi 3 juillet"), 10.0)
    none = score_answer(QAItem(id="q3", question="Qui ?", answers=("Trump",)), _answer(""), 10.0)
    refused = score_answer(QAItem(id="q4", question="Quoi ?", answers=("x",)), _answer("jeudi", refused=True), 10.0)
    assert right.short_answer == "jeudi 3 juillet" and right.short_answer_right
    assert wrong.short_answer and not wrong.short_answer_right
    assert refused.short_answer == "" and "short_answer" in right.to_dict()
    metrics = aggregate([right, wrong, none, refused], depth=5)
    assert metrics["short_answer_shown"] == round(2 / 3, 4)            # of the three answered
    assert metrics["short_answer_right"] == pytest.approx(1 / 2)       # of the two shown
    assert aggregate([none], depth=5)["short_answer_right"] is None
