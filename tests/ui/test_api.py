"""ui/api.py against a live server on a real store: ask, stream, health, articles, uploads, limits, token."""
from __future__ import annotations

import dataclasses
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from ui_live import SEED_QUESTION, build_store

from bot.answer_types import Answer, Citation, DatePhrase
from bot.newsbot import NewsBot
from ingest.model import ArticleSummary


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_ask_returns_the_same_object_as_the_cli(http, ui_store):
    r = http.post("/api/ask", json={"question": SEED_QUESTION})
    assert r.status_code == 200
    got = r.json()
    expected = NewsBot(ui_store).ask(SEED_QUESTION).to_dict()  # what `newsbot ask --json` prints
    for d in (got, expected):
        d.pop("timings")
    assert got == expected
    assert not got["refused"] and got["citations"]
    c = got["citations"][0]
    assert c["source"] == "trump-poutine-appel.txt"
    assert c["highlight"] and all(0 <= s < e <= len(c["passage"]) for s, e in c["highlight"])
    assert f"[{c['n']}]" in got["answer"]


def test_ask_applies_filters_and_history(http):
    r = http.post("/api/ask", json={"question": SEED_QUESTION, "filters": {"source": ["no-such-outlet"]},
                                    "history": [{"question": "Who is Putin?", "answer": "The Russian president."}], "k": 3})
    assert r.status_code == 200
    assert r.json()["citations"] == []


def test_stream_sends_tokens_then_the_answer(http):
    with http.stream("POST", "/api/ask/stream", json={"question": SEED_QUESTION}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(r.read().decode())
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and kinds.count("answer") == 1 and "token" in kinds[:-1]
    answer = events[-1][1]
    assert "".join(d["text"] for k, d in events if k == "token").strip() == answer["answer"].strip()
    assert answer["citations"]


def test_stream_by_get_for_event_source(http):
    r = http.get("/api/ask/stream", params={"question": SEED_QUESTION, "lang": "fr", "k": 3})
    assert r.status_code == 200
    assert parse_sse(r.text)[-1][1]["citations"][0]["source"] == "trump-poutine-appel.txt"


def test_health_reports_the_store(http):
    h = http.get("/api/health").json()
    assert h["status"] == "ok" and h["articles"] >= 2 and h["chunks"] >= h["articles"] and h["embedder"]


def test_articles_are_paged(http):
    first = http.get("/api/articles", params={"limit": 1}).json()
    second = http.get("/api/articles", params={"limit": 1, "offset": 1}).json()
    assert first["total"] >= 2 and len(first["articles"]) == 1 and len(second["articles"]) == 1
    assert first["articles"][0]["id"] != second["articles"][0]["id"]
    assert {"id", "title", "published", "source"} <= set(first["articles"][0])
    everything = http.get("/api/articles", params={"limit": 200}).json()["articles"]
    assert {"evil-article"} <= {a["id"] for a in everything}
    assert http.get("/api/articles", params={"limit": 0}).status_code == 422


def test_openapi_documents_requests_and_responses(http):
    spec = http.get("/openapi.json").json()
    assert {"/api/ask", "/api/ask/stream", "/api/health", "/api/articles"} <= set(spec["paths"])
    ask = spec["paths"]["/api/ask"]["post"]
    assert ask["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AskRequest")
    assert ask["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AnswerOut")
    assert {"AskRequest", "AnswerOut", "Citation", "DatePhrase", "ArticlePage"} <= set(spec["components"]["schemas"])


def schema_of(spec: dict, ref: dict) -> dict:
    return spec["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_openapi_describes_the_real_fields_of_answers_and_articles(http):
    """The response models are built from bot.answer_types's dataclasses and ingest.model's ArticleSummary:
    the schema names every field the routes return, with the types and descriptions of that one definition."""
    spec = http.get("/openapi.json").json()
    answer = spec["components"]["schemas"]["AnswerOut"]
    assert set(answer["properties"]) == {f.name for f in dataclasses.fields(Answer)} - {"passages"}
    assert set(answer["required"]) == {"question", "answer", "refused"}
    citation = schema_of(spec, answer["properties"]["citations"]["items"])
    assert set(citation["properties"]) == {f.name for f in dataclasses.fields(Citation)}
    pair = citation["properties"]["highlight"]["items"]
    assert pair["type"] == "array" and pair["minItems"] == pair["maxItems"] == 2
    date = schema_of(spec, citation["properties"]["dates"]["items"])
    assert set(date["required"]) == set(DatePhrase.__annotations__) == {"text", "start", "end", "value"}
    assert "publication date" in date["properties"]["value"]["description"]
    assert answer["properties"]["timings"]["additionalProperties"]["type"] == "number"
    article = schema_of(spec, spec["components"]["schemas"]["ArticlePage"]["properties"]["articles"]["items"])
    assert set(article["properties"]) == set(ArticleSummary.__annotations__)
    assert article["properties"]["chunks"]["type"] == "integer"

    got = http.post("/api/ask", json={"question": SEED_QUESTION}).json()
    assert set(got) <= set(answer["properties"]) and set(answer["required"]) <= set(got)
    assert got["citations"] and all(set(c) == set(citation["properties"]) for c in got["citations"])
    assert all(set(d) == set(date["properties"]) for c in got["citations"] for d in c["dates"])
    listed = http.get("/api/articles").json()["articles"]
    assert listed and all(set(a) == set(article["properties"]) for a in listed)


def test_bad_questions_are_422_with_a_message(http, server):
    limit = server.settings.max_question_chars
    r = http.post("/api/ask", json={"question": "x" * (limit + 1)})
    assert r.status_code == 422 and str(limit) in r.json()["detail"]
    assert http.post("/api/ask", json={"question": "   "}).status_code == 422
    r = http.post("/api/ask", json={"question": SEED_QUESTION, "filters": {"since": "last week"}})
    assert r.status_code == 422 and "since" in r.text
    assert http.post("/api/ask", json={"question": SEED_QUESTION, "k": 0}).status_code == 422


def test_oversized_requests_are_413(http, server):
    limit = server.settings.max_upload_bytes
    r = http.post("/api/articles", files={"files": ("big.txt", b"a" * (limit + 1), "text/plain")})
    assert r.status_code == 413 and "NEWSBOT_MAX_UPLOAD_BYTES" in r.json()["detail"]

    def chunks():  # no Content-Length: the body is counted as it streams in
        for _ in range(limit // 10_000 + 2):
            yield b"b" * 10_000

    r = http.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_upload_reports_each_bad_file_and_adds_the_good_ones(http):
    files = [("files", ("cheese.txt", "The Comté cheese festival\n\nThe Comté cheese festival opened in Poligny "
                                      "on Saturday with forty producers.\n".encode(), "text/plain")),
             ("files", ("notes.pdf", b"%PDF-1.4", "application/pdf")),
             ("files", ("empty.txt", b"", "text/plain"))]
    r = http.post("/api/articles", files=files, data={"urls": ""})
    assert r.status_code == 200
    report = r.json()
    assert report["articles"] == 1
    assert len(report["errors"]) == 2
    assert any(e.startswith("notes.pdf:") and "unsupported" in e for e in report["errors"])
    assert any(e.startswith("empty.txt:") for e in report["errors"])
    assert "newsbot-upload" not in json.dumps(report)  # temporary paths are not shown
    titles = [a["title"] for a in http.get("/api/articles", params={"limit": 200}).json()["articles"]]
    assert "The Comté cheese festival" in titles
    assert http.post("/api/articles", data={"urls": "ftp://example.org/x"}).status_code == 422


def test_urls_on_the_servers_own_network_are_not_fetched(http, server):
    # The server's own address: a visitor must not make it fetch loopback or private services.
    r = http.post("/api/articles", data={"urls": f"{server.url}/api/health\nhttp://10.1.2.3/x"})
    assert r.status_code == 200
    report = r.json()
    assert report["articles"] == 0
    assert len(report["errors"]) == 2
    assert all("loopback or private address" in e for e in report["errors"])


def test_feedback_is_appended_to_the_log(http, server):
    answer = http.post("/api/ask", json={"question": SEED_QUESTION}).json()
    r = http.post("/api/feedback", json={"rating": "down", "question": SEED_QUESTION, "answer": answer})
    assert r.status_code == 200
    entry = json.loads(server.settings.feedback_log.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["rating"] == "down" and entry["question"] == SEED_QUESTION and entry["channel"] == "api"
    assert entry["answer"] == answer["answer"] and entry["citations"][0]["source"] == "trump-poutine-appel.txt"
    assert http.post("/api/feedback", json={"rating": "meh", "question": "q", "answer": answer}).status_code == 422


def test_twenty_concurrent_questions_all_succeed(server):
    def ask(i: int) -> int:
        with httpx.Client(base_url=server.url, timeout=300) as c:
            return c.post("/api/ask", json={"question": SEED_QUESTION if i % 2 else "Quand Trump et Poutine se sont-ils parlé ?"}).status_code

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(ask, range(20)))
    assert codes == [200] * 20


def test_rate_limit_is_429_with_retry_after(start_server, ui_store):
    srv = start_server(ui_store, rate_limit_per_minute=3)
    with httpx.Client(base_url=srv.url, timeout=120) as c:
        codes = [c.get("/api/articles").status_code for _ in range(3)]
        r = c.post("/api/ask", json={"question": SEED_QUESTION})
        assert codes == [200, 200, 200]
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "per minute" in r.json()["detail"]
        assert c.get("/api/health").status_code == 200  # health checks are not limited
    with pytest.raises(AppError, match="per minute"):  # nor is the Gradio API a way around the limit
        Client(srv.url + "/", verbose=False).predict(question=SEED_QUESTION, api_name="/ask")


def test_bearer_token_guards_the_api(start_server, ui_store):
    srv = start_server(ui_store, api_token="s3cret-token")
    with httpx.Client(base_url=srv.url, timeout=120) as c:
        assert c.post("/api/ask", json={"question": SEED_QUESTION}).status_code == 401
        r = c.get("/api/articles", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert c.get("/api/articles", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        r = c.post("/api/ask", json={"question": SEED_QUESTION}, headers={"Authorization": "Bearer s3cret-token"})
        assert r.status_code == 200 and r.json()["citations"]
        assert c.get("/api/health").status_code == 200


def test_questions_are_answered_while_an_ingest_runs(start_server, tmp_path, e5, piaf_small, seed_dir):
    store = build_store(tmp_path / "store", e5, [str(seed_dir)])
    srv = start_server(store)
    result: dict = {}

    def ingest() -> None:
        with httpx.Client(base_url=srv.url, timeout=600) as c:
            r = c.post("/api/articles", files={"files": ("piaf.jsonl", piaf_small.read_bytes(), "application/json")})
            result["status"], result["report"] = r.status_code, r.json()

    worker = threading.Thread(target=ingest)
    worker.start()
    with httpx.Client(base_url=srv.url, timeout=300) as c:
        deadline = time.monotonic() + 60
        while not c.get("/api/health").json()["ingesting"]:
            assert time.monotonic() < deadline and worker.is_alive(), "the ingest never started"
            time.sleep(0.05)
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: c.post("/api/ask", json={"question": SEED_QUESTION}), range(4)))
        still_ingesting = c.get("/api/health").json()["ingesting"]
    worker.join()
    assert [a.status_code for a in answers] == [200] * 4
    assert all(a.json()["citations"] for a in answers)
    assert still_ingesting or result["report"]["seconds"] > 0
    assert result["status"] == 200 and result["report"]["articles"] == 8 and result["report"]["errors"] == []
    with httpx.Client(base_url=srv.url) as c:
        assert c.get("/api/articles").json()["total"] == 9


def test_as_of_leaves_out_later_articles_and_is_validated(http):
    from ui_live import EVIL_QUESTION

    def cited(as_of: str) -> set[str]:
        r = http.post("/api/ask", json={"question": EVIL_QUESTION, "as_of": as_of})
        assert r.status_code == 200 and r.json()["as_of"] == as_of
        return {c["article_id"] for c in r.json()["citations"]}

    assert "evil-article" in cited("2025-03-05")  # published 2025-03-04
    assert "evil-article" not in cited("2025-03-03")
    for bad in ("2025-02-30", "last week"):
        r = http.post("/api/ask", json={"question": EVIL_QUESTION, "as_of": bad})
        assert r.status_code == 422 and "as_of" in r.text
    r = http.get("/api/ask/stream", params={"question": EVIL_QUESTION, "as_of": "2025-03-03"})
    [answer] = [d for e, d in parse_sse(r.text) if e == "answer"]
    assert answer["as_of"] == "2025-03-03" and all(c["article_id"] != "evil-article" for c in answer["citations"])
