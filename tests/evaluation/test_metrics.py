"""Every metric on hand-made cases; the expected values are worked out by hand in the comments."""
from __future__ import annotations

import pytest

from evaluation import metrics as m


def test_normalize_folds_case_and_every_kind_of_whitespace():
    # nbsp (U+00A0), narrow nbsp (U+202F), newline and tab all become one space; edges trimmed.
    assert m.normalize("  Le\u00a0ROUILLON\n\t débute\u202fici ") == "le rouillon débute ici"


def test_normalize_composes_accents_so_decomposed_text_matches():
    assert m.normalize("E\u0301lyse\u0301e") == m.normalize("Élysée") == "élysée"


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ("Le ruisseau  LE ROUILLON débute", ["le rouillon"], True),  # case and double space ignored
        ("environ 20\u202f000 employeurs", ["20 000"], True),  # narrow nbsp inside a number
        ("environ 20000 employeurs", ["20 000"], False),  # a missing space is not whitespace-insensitivity
        ("Paris", ["Lyon", "paris"], True),  # any one answer string is enough
        ("Paris", [], False),  # no answer strings: nothing matches
        ("Paris", [""], False),  # an empty answer string must not match everything
        ("Élysée", ["elysee"], False),  # accents are not folded: 'é' is not 'e'
    ],
)
def test_contains_answer(text, answers, expected):
    assert m.contains_answer(text, answers) is expected


def test_first_hit_rank_is_one_based_and_none_on_miss():
    passages = ["rien ici", "le FMI recommande", "FMI encore"]
    assert m.first_hit_rank(passages, ["fmi"]) == 2  # the 2nd passage is the first to contain it
    assert m.first_hit_rank(passages, ["OCDE"]) is None
    assert m.first_hit_rank([], ["fmi"]) is None


def test_hit_rate_counts_first_hits_within_k():
    ranks = [1, 3, None, 6]
    assert m.hit_rate(ranks, 1) == 0.25  # only rank 1: 1/4
    assert m.hit_rate(ranks, 3) == 0.5  # ranks 1 and 3: 2/4
    assert m.hit_rate(ranks, 5) == 0.5  # rank 6 is still out: 2/4
    assert m.hit_rate(ranks, 10) == 0.75  # 1, 3 and 6: 3/4; the miss never counts
    assert m.hit_rate([], 5) is None


def test_mean_reciprocal_rank_counts_a_miss_as_zero():
    # (1/1 + 1/2 + 0 + 1/4) / 4 = 1.75 / 4 = 0.4375
    assert m.mean_reciprocal_rank([1, 2, None, 4]) == pytest.approx(0.4375)
    assert m.mean_reciprocal_rank([None, None]) == 0.0
    assert m.mean_reciprocal_rank([]) is None


def test_citation_markers_keep_order_and_repeats():
    assert m.citation_markers("A [1]. B [2][1]. C [10].") == [1, 2, 1, 10]
    assert m.citation_markers("no markers, only [a] and [ 1 ]") == []


def test_strip_markers_removes_markers_and_the_space_before():
    assert m.strip_markers("Le Rouillon [1]. Villejust [2][3].") == "Le Rouillon. Villejust."


def test_first_sentence_drops_markers_and_stops_at_the_first_end():
    assert m.first_sentence("Paris est la capitale [1]. Lyon est grande [2].") == "Paris est la capitale."
    assert m.first_sentence("Une seule phrase sans point [1]") == "Une seule phrase sans point"
    assert m.first_sentence("") == ""


def test_answer_hit_on_whole_answer_and_on_first_sentence():
    answer = "Il pleut souvent [1]. Le Rouillon débute à Villejust [2]."
    # The answer string is in the second sentence: a hit on the whole answer, not on the first sentence.
    assert m.answer_hit(answer, ["le rouillon"]) is True
    assert m.answer_hit_first_sentence(answer, ["le rouillon"]) is False
    assert m.answer_hit_first_sentence(answer, ["il pleut"]) is True


def test_answer_hit_ignores_a_marker_inside_the_answer_string():
    # "Le [1] Rouillon" without its marker is "Le Rouillon".
    assert m.answer_hit("Le [1] Rouillon", ["le rouillon"]) is True


def test_marker_support_checks_each_marker_against_its_passage():
    cited = {1: "le FMI recommande", 2: "rien ici"}
    # [1] -> passage with FMI: True; [2] -> no FMI: False; [3] -> no such citation: False; [1] again: True
    assert m.marker_support("A [1]. B [2]. C [3]. D [1].", cited, ["fmi"]) == [True, False, False, True]
    assert m.marker_support("no markers", cited, ["fmi"]) == []


def test_ratio_is_none_when_undefined():
    assert m.ratio(1, 4) == 0.25
    assert m.ratio(0, 0) is None


def test_refusal_scores_treat_unanswerable_questions_as_positives():
    answerable = [True, True, False, False, False]
    refused = [True, False, True, True, False]
    # true positives: refused and unanswerable = questions 3 and 4 -> 2
    # precision = 2 / 3 refusals; recall = 2 / 3 unanswerable questions
    precision, recall = m.refusal_scores(answerable, refused)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)


def test_refusal_scores_undefined_parts_are_none():
    # No refusal at all: precision undefined (0/0); 2 unanswerable, none refused: recall 0/2 = 0.
    assert m.refusal_scores([True, False, False], [False, False, False]) == (None, 0.0)
    # No unanswerable question: recall undefined; the one refusal is wrong: precision 0/1 = 0.
    assert m.refusal_scores([True, True], [True, False]) == (0.0, None)


def test_percentile_interpolates_linearly_between_closest_ranks():
    xs = [40.0, 10.0, 30.0, 20.0]  # sorted: 10 20 30 40, positions 0..3
    assert m.percentile(xs, 50) == pytest.approx(25.0)  # pos 3*0.50 = 1.5 -> 20 + 0.5*(30-20)
    assert m.percentile(xs, 95) == pytest.approx(38.5)  # pos 3*0.95 = 2.85 -> 30 + 0.85*(40-30)
    assert m.percentile(xs, 100) == 40.0
    assert m.percentile(xs, 0) == 10.0
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([], 50) is None


def test_one_marker_pattern_serves_answerers_metrics_and_rendering():
    from bot.answer_types import MARKER_RE, quoted_parts, strip_markers

    answer = "Le 3 mars [1]. Puis à Paris [2] [3]. Fin"
    assert m.citation_markers(answer) == [1, 2, 3] == [int(x) for x in MARKER_RE.findall(answer)]
    assert strip_markers(answer) == m.strip_markers(answer) == "Le 3 mars. Puis à Paris. Fin"
    assert quoted_parts(answer) == ["Le 3 mars", ". Puis à Paris", ". Fin"]


def test_percentile_is_numpys():
    import numpy as np

    xs = [5.0, 1.0, 9.0, 3.0, 7.5]
    for q in (0, 25, 50, 95, 100):
        assert m.percentile(xs, q) == pytest.approx(float(np.percentile(xs, q)))
    assert m.percentile([], 50) is None
