"""ui/chat.py and ServerContext.prepare without Gradio or a browser: the chat's handlers on a real
store, the one question check every door goes through, and the typing effect."""
from __future__ import annotations

import json

import pytest

from bot.errors import QuestionError, RateLimited
from bot.events import AnswerEvent, TokenEvent
from bot.runtime import Runtime
from ui.chat import ChatHandlers
from ui.context import ServerContext
from ui.settings import Settings

QUESTION = "When did Trump and Putin last speak?"


def _ctx(store, tmp_path, **overrides) -> ServerContext:
    settings = Settings(store=store.path, feedback_log=tmp_path / "feedback.jsonl",
                        **({"rate_limit_per_minute": 1000} | overrides))
    return ServerContext(settings, Runtime.from_store(store))


def test_chat_streams_the_answer_word_by_word_then_adds_the_turn(seed_store, tmp_path):
    chat = ChatHandlers(_ctx(seed_store, tmp_path))
    steps = list(chat.chat(QUESTION, [], "en", [], "", "", "", "127.0.0.1"))
    pending = steps[1:-1]
    assert len(pending) > 5 and all(history == [] and box == "" for _, history, box in pending)
    html, history, box = steps[-1]
    assert len(history) == 1 and history[0]["question"] == QUESTION
    answer = history[0]["answer"]
    assert answer["citations"] and 'class="nb-cite"' in html and box == ""
    assert history[0]["filters"] == {"source": [], "since": "", "until": "", "lang": ""}
    # a follow-up carries the kept conversation (answer objects) as turns
    follow = list(chat.chat("And before that?", history, "en", [], "", "", "", "127.0.0.1"))[-1][1]
    assert len(follow) == 2 and follow[0] == history[0]


def test_answer_events_spell_the_answer_when_the_answerer_writes_it_whole(seed_store, tmp_path):
    ctx = _ctx(seed_store, tmp_path)
    events = list(ctx.answer_events(ctx.prepare(QUESTION, None, None, "c")))
    tokens = [e.text for e in events if isinstance(e, TokenEvent)]
    assert isinstance(events[-1], AnswerEvent) and len(tokens) > 5
    assert "".join(tokens) == events[-1].answer.answer


def test_prepare_checks_question_history_filters_and_k_once(seed_store, tmp_path):
    ctx = _ctx(seed_store, tmp_path, max_history_turns=2)
    p = ctx.prepare(f"  {QUESTION} ", [{"question": "q", "answer": {"answer": "a [1]"}}],
                    {"source": "Le Monde", "since": "2025-01-01"}, "c", k=3)
    assert p.question == QUESTION and p.k == 3
    assert [(t.question, t.answer) for t in p.history] == [("q", "a [1]")]
    assert p.filters.source == ("Le Monde",) and p.filters.since == "2025-01-01"
    for kwargs, message in (({"question": "  "}, "empty"), ({"k": 0}, "k is the number"), ({"k": True}, "k is the"),
                            ({"history": [{"question": "q"}] * 3}, "NEWSBOT_MAX_HISTORY_TURNS"),
                            ({"history": "not a list"}, "list of"), ({"filters": {"since": "yesterday"}}, "since"),
                            ({"history": [{"question": 1, "answer": ""}]}, "strings")):
        args = {"question": QUESTION, "history": None, "filters": None, "client": "c"} | kwargs
        with pytest.raises(QuestionError, match=message) as err:
            ctx.prepare(**args)
        assert err.value.http_status == 422


def test_the_rate_limit_is_one_per_client_and_is_a_429(seed_store, tmp_path):
    ctx = _ctx(seed_store, tmp_path, rate_limit_per_minute=2)
    ctx.prepare(QUESTION, None, None, "a")
    ctx.prepare(QUESTION, None, None, "a")
    with pytest.raises(RateLimited) as err:
        ctx.prepare(QUESTION, None, None, "a", ui="fr")
    assert err.value.http_status == 429 and err.value.retry_after > 0 and "par minute" in str(err.value)
    assert ctx.prepare(QUESTION, None, None, "b").question == QUESTION  # another client is not limited
    with pytest.raises(RateLimited, match="NEWSBOT_RATE_LIMIT_PER_MINUTE"):  # an API client's message
        ctx.prepare(QUESTION, None, None, "a")
    assert "Too many questions" in ChatHandlers(ctx).add_refusal([], ["https://example.org/a"], "en", "a", set())


def test_latest_turns_keep_a_long_chat_going_within_the_limits(seed_store, tmp_path):
    ctx = _ctx(seed_store, tmp_path, max_history_turns=3, max_history_chars=25)
    history = [{"question": f"q{i}", "answer": {"answer": "x" * 10}} for i in range(6)]
    kept = ctx.latest_turns(history)
    assert kept == history[-2:]  # 3 turns would be 36 characters
    ctx.prepare(QUESTION, kept, None, "c")


def test_rate_records_the_last_answer_and_ask_answers_like_the_api(seed_store, tmp_path):
    ctx = _ctx(seed_store, tmp_path)
    chat = ChatHandlers(ctx)
    assert chat.rate("up", [], "en") == "Ask a question first."
    answer = chat.ask(QUESTION, None, {"lang": ""}, 3, client="c")
    assert answer["question"] == QUESTION and answer["citations"]
    history = [{"question": QUESTION, "answer": answer, "filters": {}}]
    assert chat.rate("down", history, "en") == "Thanks, your feedback was recorded."
    entries = [json.loads(x) for x in (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert entries[-1]["rating"] == "down" and entries[-1]["question"] == QUESTION
    with pytest.raises(QuestionError, match="k is the number of passages"):
        chat.ask(QUESTION, None, None, 10**9, client="c")


def test_add_articles_refuses_a_file_it_did_not_receive(seed_store, tmp_path):
    chat = ChatHandlers(_ctx(seed_store, tmp_path))
    secret = tmp_path / "secret.txt"
    secret.write_text("server file", encoding="utf-8")
    steps = list(chat.add_articles([str(secret)], "", "en", "c", uploads=set()))
    assert len(steps) == 1 and "not uploaded to this server" in steps[0].status and not steps[0].changed
    steps = list(chat.add_articles(None, "/etc/passwd", "en", "c", uploads=set()))
    assert len(steps) == 1 and "/etc/passwd" in steps[0].status and not steps[0].changed
