"""evaluation/time_bench.py on a few hand-written dated articles: the BM25 index it builds and the
policy scores it reports (no embedding)."""
from __future__ import annotations

import json

from evaluation.time_bench import score_policies

ARTICLES = [
    {"id": "old", "title": "Budget vote", "published": "2024-01-10", "lang": "en",
     "text": "The city council approved the harbour budget of 12 million euros after a long debate."},
    {"id": "new", "title": "Budget vote again", "published": "2024-03-01", "lang": "en",
     "text": "The city council approved a revised harbour budget of 15 million euros on Thursday."},
    {"id": "late", "title": "Budget vote once more", "published": "2024-05-01", "lang": "en",
     "text": "The city council approved the harbour budget a third time, at 18 million euros."},
]


def test_policies_are_scored_on_a_bm25_index_of_the_articles(tmp_path):
    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": "What harbour budget did the city council approve?",
                                     "answers": ["15 million"], "as_of": "2024-03-05"}) + "\n", encoding="utf-8")
    seen, started = [], []
    scores = score_policies(articles, questions, default_only=True, on_score=seen.append,
                            on_start=lambda c, q: started.append((c, q)))
    assert started == [(3, 1)] and seen == scores
    by_name = {s.name: s for s in scores}
    assert list(by_name) == ["BM25 alone, no as_of", "as_of cutoff only", "default TimePolicy()"]
    assert all(s.hit == 1.0 for s in scores)  # three chunks: the answer is always in the top 5
    # current_hit@5: the 15-million article is in the 14 days up to as_of
    assert by_name["default TimePolicy()"].current_hit == 1.0


def test_policies_are_scored_with_the_full_search_on_a_real_store(tmp_path, e5):
    import argparse

    import pytest

    from evaluation.time_bench import current_ceiling, score_store_policies
    from ingest.pipeline import Ingester
    from ingest.settings import IngestSettings
    from ingest.store import Store
    from ui.eval_commands import time_policy_fields

    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    store = Store(tmp_path / "store", e5)
    assert Ingester(store, IngestSettings()).ingest([str(articles)], progress=False).errors == []
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in [
        {"id": "q1", "question": "What harbour budget did the city council approve?", "answers": ["15 million"],
         "as_of": "2024-03-05", "article_ids": ["old"]},  # the March article: current, but not its own
        {"id": "q2", "question": "What harbour budget did the city council approve first?", "answers": ["12 million"],
         "as_of": "2024-06-30"},  # only the January article holds it: never current
        {"id": "q3", "question": "Undated question", "answers": ["x"]},  # no as_of: not scored
    ]), encoding="utf-8")
    seen = []
    scores = score_store_policies(store.path, questions, [None, {}, {"recent_weight": 0.0}], on_score=seen.append)
    assert seen == scores and [s.policy for s in scores] == [None, {}, {"recent_weight": 0.0}]
    for s in scores:
        assert s.hits[30] == 1.0 and s.current[30] == 0.5  # three chunks: everything is found at depth 30
        assert all(s.current[k] <= s.hits[k] for k in s.hits)
    default = scores[1]
    assert default.current[1] == 0.5  # as of 5 March the March article comes first, May's is never searched
    assert current_ceiling(store.path, questions) == {"any": 0.5, "own": 0.0}
    questions.write_text(json.dumps({"id": "q1", "question": "What budget?", "answers": ["15 million"],
                                     "as_of": "2024-03-05", "article_ids": ["new"]}) + "\n", encoding="utf-8")
    assert current_ceiling(store.path, questions) == {"any": 1.0, "own": 1.0}
    questions.write_text(json.dumps({"id": "q1", "question": "What budget?", "answers": ["15 million"],
                                     "as_of": "2024-03-05"}) + "\n", encoding="utf-8")
    assert current_ceiling(store.path, questions) == {"any": 1.0, "own": None}  # no articles listed
    assert time_policy_fields('{"recent_weight": 1.5}') == {"recent_weight": 1.5}
    for bad in ('{"no_such_knob": 1}', "[1]", "{oops"):
        with pytest.raises(argparse.ArgumentTypeError):
            time_policy_fields(bad)
