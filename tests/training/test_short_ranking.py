"""The short-answer ranking tool: precision among the questions a score ranks highest, and a run
over a real store."""
from __future__ import annotations

import json

from training import short_ranking


def test_precision_among_the_highest_ranked_short_answers():
    records = [{"short": True, "short_right": right, "span": s}
               for s, right in ((9.0, True), (8.0, True), (7.0, False), (6.0, True), (5.0, False))]
    records += [{"short": False, "short_right": False, "span": 99.0}] * 5     # no short answer: never shown
    out = short_ranking.precision_at(records, lambda r: r["span"], (0.1, 0.2, 0.3, 0.5, 0.9))
    assert out == {"0.1": 1.0, "0.2": 1.0, "0.3": 0.667, "0.5": 0.6, "0.9": 0.6}
    assert short_ranking.precision_at(records[5:], lambda r: r["span"], (0.5,)) == {"0.5": None}


def test_a_run_over_the_seed_store_records_every_answerable_question(seed_store, tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(q) for q in (
        {"question": "Quand Trump et Poutine se sont-ils parlé ?", "answers": ["jeudi"], "as_of": "2025-07-10"},
        {"question": "When did Trump and Putin last speak?", "answers": ["jeudi", "3 juillet"], "as_of": "2025-07-10"},
        {"question": "Who won the 2022 football World Cup?", "answers": []})) + "\n", encoding="utf-8")
    out = short_ranking.main(["--store", str(seed_store.path), "--qa", str(qa), "--as-of", "--out", str(tmp_path / "r.json")])
    assert out["questions"] == 2 and out["first_sentence"] == 1.0 and out["short_right_when_the_lead_is_wrong"] is None
    assert set(out["right_when_shown_among_the_top"]) >= {"span", "relevance", "confidence", "span + 1.0 relevance"}
    assert json.loads((tmp_path / "r.json").read_text())["questions"] == 2
