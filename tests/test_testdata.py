"""The tests' own data: answers found where the questions say, and no test reading data from outside
the repository except through tests/newsbot_testdata.py (the few tests marked ``shared``)."""
from __future__ import annotations

import re

from newsbot_testdata import CALL_QA, PIAF_ARTICLES, PIAF_QA, REPO, read_jsonl, sample

from bot.questions import question_language


def test_every_answer_of_the_call_questions_is_in_the_sample_article():
    text = sample()["text"]
    items = read_jsonl(CALL_QA)
    assert len({q["id"] for q in items}) == len(items) == 10
    for q in items:
        for answer in q["answers"]:
            assert answer in text, (q["id"], answer)
    assert sum(not q["answers"] for q in items) == 2  # two the article cannot answer
    assert {question_language(q["question"]) for q in items} == {"fr", "en"}


def test_every_piaf_question_is_about_one_of_the_eight_articles_and_its_answer_is_there():
    articles = {a["id"]: a["text"] for a in read_jsonl(PIAF_ARTICLES)}
    assert len(articles) == 8
    for q in read_jsonl(PIAF_QA):
        assert any(a in articles[q["article_id"]] for a in q["answers"]), q["id"]


def test_tests_find_their_data_in_one_module():
    for path in (REPO / "tests").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from conftest import|import conftest)", source, re.M), path
        if path.name not in ("newsbot_testdata.py", "test_testdata.py"):  # the one place, and this check
            assert not re.search(r'NEWSBOT_SHARED|/\s*"shared"', source), path
