"""bot/eval/time_bench.py on a few hand-written dated articles: the BM25 index it builds and the
policy scores it reports (no embedding)."""
from __future__ import annotations

import json

from bot.eval.time_bench import score_policies

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
