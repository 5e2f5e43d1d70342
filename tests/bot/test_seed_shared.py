"""The real seed article and its questions (../shared, CI only): what test_answerers.py and
test_reader.py assert on the sample article, asserted once more on the article they were first
written for (which sentence comes first is measured in docs/answers.md, not asserted). Skipped, saying why, where ../shared is absent."""
from __future__ import annotations

import pytest
from newsbot_testdata import SHARED, read_jsonl

from bot.extractive import ExtractiveAnswerer
from bot.newsbot import NewsBot

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def seed_questions() -> dict[str, dict]:
    return {q["id"]: q for q in read_jsonl(SHARED / "eval" / "seed_dev.jsonl")}


def test_the_reader_answers_the_seed_questions_and_refuses_the_others(shared_seed_store, seed_questions):
    bot = NewsBot(shared_seed_store)
    refused = {i for i, q in seed_questions.items() if bot.ask(q["question"]).refused}
    assert refused == {i for i, q in seed_questions.items() if not q["answers"]}


def test_the_scorer_answers_the_seed_questions_and_refuses_the_others(shared_seed_store, seed_questions):
    bot = NewsBot(shared_seed_store, answerer=ExtractiveAnswerer())
    refused = {i for i, q in seed_questions.items() if bot.ask(q["question"]).refused}
    assert refused == {i for i, q in seed_questions.items() if not q["answers"]}
