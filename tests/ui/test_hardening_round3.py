"""Issue 23's server-side cases, on a real server (uvicorn on a free port) over a real store of the
sample articles: hostile dates, bounded JSON bodies, typed query and feedback values."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from bot.runtime import Runtime
from ingest.pipeline import Ingester
from ingest.store import Store
from ui.server import BackgroundServer, create_app
from ui.settings import Settings

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "articles.jsonl"
TOKEN = "s3cret-token"
HOSTILE_TITLE = "Harbour strike announced"
HOSTILE_TEXT = ("The dockers of the harbour of Qzarnette will strike next week, the union said; "
                "last week talks with the harbour master failed.")


@pytest.fixture(scope="module")
def store(tmp_path_factory, e5) -> Store:
    """The sample articles, and one article dated 0001-01-01 as a store written before dates were
    checked at ingestion holds it (its chunks' metadata set so after ingestion)."""
    path = tmp_path_factory.mktemp("round3-store")
    hostile = tmp_path_factory.mktemp("hostile") / "hostile.jsonl"
    hostile.write_text(json.dumps({"id": "hostile", "title": HOSTILE_TITLE, "text": HOSTILE_TEXT,
                                   "published": "0001-01-01"}) + "\n", encoding="utf-8")
    store = Store(path, e5)
    report = Ingester(store, Settings(store=path)).ingest([str(SAMPLES), str(hostile)], progress=False)
    assert report.errors == []
    ids = sorted(store.article_chunk_ids("hostile"))
    assert ids and {m["published"] for m in store.existing_metadata(ids).values()} == {""}  # not read
    store.collection.update(ids=ids, metadatas=[{"published": "0001-01-01"}] * len(ids))
    return store


def _serve(store: Store, tmp_path_factory, **overrides) -> BackgroundServer:
    feedback = tmp_path_factory.mktemp("feedback") / "feedback.jsonl"
    settings = Settings(store=store.path, feedback_log=feedback, **({"rate_limit_per_minute": 100_000} | overrides))
    return BackgroundServer(create_app(settings, Runtime.from_store(store))).start()


@pytest.fixture(scope="module")
def server(store, tmp_path_factory):
    s = _serve(store, tmp_path_factory)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def token_server(store, tmp_path_factory):
    s = _serve(store, tmp_path_factory, api_token=TOKEN)
    yield s
    s.stop()


# ---- H2 / M1: hostile dates ---------------------------------------------------------------------
def test_an_article_dated_0001_01_01_saying_next_week_is_cited_without_error(server):
    r = httpx.post(server.url + "/api/ask", json={"question": "When will the Qzarnette dockers strike?"}, timeout=60)
    assert r.status_code == 200, r.text
    cited = [c for c in r.json()["citations"] if c["title"] == HOSTILE_TITLE]
    assert cited and all(c["dates"] == [] for c in cited)  # no day to resolve "next week" against
    stream = httpx.get(server.url + "/api/ask/stream", params={"question": "Qzarnette dockers strike next week"},
                       timeout=60)
    assert stream.status_code == 200 and "event: error" not in stream.text


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01"])
def test_an_as_of_at_the_edge_of_the_calendar_is_a_422(server, as_of):
    r = httpx.post(server.url + "/api/ask", json={"question": "What happened last week?", "as_of": as_of}, timeout=60)
    assert r.status_code == 422 and "out of range" in r.text, r.text


# ---- M4: JSON bodies are bounded and parsed off the event loop ----------------------------------
def _health_latencies(url: str, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(timeout=60) as c:
        while not stop.is_set():
            t = time.monotonic()
            assert c.get(url + "/api/health").status_code == 200
            out.append(time.monotonic() - t)
            time.sleep(0.05)


def test_health_stays_responsive_while_large_json_bodies_arrive(token_server):
    url = token_server.url
    big = b"[" + b"0," * 9_000_000 + b"0]"  # 18 MB of small values: seconds to parse and walk
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    statuses: list[int] = []

    def post(headers: dict, body) -> None:
        with httpx.Client(timeout=120) as c:
            statuses.append(c.post(url + "/api/ask", content=body, headers=headers).status_code)

    def chunked():  # no Content-Length: counted as it arrives
        for i in range(0, len(big), 1 << 20):
            yield big[i:i + (1 << 20)]

    latencies: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_health_latencies, args=(url, stop, latencies))
    watcher.start()
    time.sleep(0.3)
    senders = [threading.Thread(target=post, args=args) for args in
               [({"Content-Type": "application/json"}, big), (auth, big), (auth, big), (auth, chunked())]]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    time.sleep(0.3)
    stop.set()
    watcher.join()
    assert max(latencies) < 2.0, f"/api/health took up to {max(latencies):.2f} s"
    assert sorted(statuses) == [401, 413, 413, 413]


def test_a_json_body_over_the_limit_names_the_setting_and_a_small_one_still_works(token_server):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = httpx.post(token_server.url + "/api/ask", content=b'{"question": "' + b"a" * 2_100_000 + b'"}',
                   headers=auth | {"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 413 and "NEWSBOT_MAX_JSON_BYTES" in r.text
    r = httpx.post(token_server.url + "/api/ask", json={"question": "Who opened the Olympic Games?"},
                   headers=auth, timeout=60)
    assert r.status_code == 200, r.text
    assert httpx.post(token_server.url + "/api/ask", json={"question": "x"}, timeout=60).status_code == 401


# ---- M6 / M7 / L6: typed query and body values are 422s, never 500s -----------------------------
@pytest.mark.parametrize("sources", [[f"outlet {i}" for i in range(101)], ["x" * 301]])
def test_get_stream_with_too_many_or_too_long_outlets_is_a_422(server, sources):
    r = httpx.get(server.url + "/api/ask/stream", params={"question": "Who opened the Games?", "source": sources},
                  timeout=60)
    assert r.status_code == 422, r.text
    assert "source" in r.text


def _feedback(highlight) -> dict:
    citation = {"n": 1, "article_id": "a", "title": "t", "source": "s", "url": "", "published": "2025-07-03",
                "passage": "They spoke on Thursday.", "start": 0, "end": 23, "highlight": highlight}
    return {"rating": "up", "question": "When?", "answer": {"question": "When?", "answer": "Thursday [1].",
                                                            "refused": False, "citations": [citation], "timings": {}}}


@pytest.mark.parametrize("highlight", [[[1]], [[1, 2, 3]], [[]]])
def test_feedback_highlights_must_be_pairs(server, highlight):
    r = httpx.post(server.url + "/api/feedback", json=_feedback(highlight), timeout=30)
    assert r.status_code == 422 and "highlight" in r.text, r.text


def test_feedback_with_pairs_is_recorded(server):
    assert httpx.post(server.url + "/api/feedback", json=_feedback([[0, 4]]), timeout=30).status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"filters": {"since": "2025-02-30"}}, "since"), ({"filters": {"until": "0000-01-01"}}, "until"),
    ({"filters": {"until": "0999-12-31"}}, "until"), ({"k": True}, "k"), ({"k": "5"}, "k"), ({"as_of": 0}, "as_of"),
])
def test_impossible_days_and_a_boolean_k_are_422(server, body, field):
    r = httpx.post(server.url + "/api/ask", json={"question": "Who opened the Games?"} | body, timeout=60)
    assert r.status_code == 422 and field in r.text, r.text


@pytest.mark.parametrize("params", [{"since": "2025-02-30"}, {"until": "0000-01-01"}])
def test_impossible_days_in_the_stream_query_are_422(server, params):
    r = httpx.get(server.url + "/api/ask/stream", params={"question": "Who opened the Games?"} | params, timeout=60)
    assert r.status_code == 422, r.text


def test_the_chat_refuses_an_impossible_day_too(store, tmp_path):
    from bot.errors import QuestionError
    from ui.context import ServerContext

    ctx = ServerContext(Settings(store=store.path, feedback_log=tmp_path / "f.jsonl"), Runtime.from_store(store))
    for since in ("2025-02-30", "0000-01-01", "9999-12-31"):
        with pytest.raises(QuestionError, match="since"):
            ctx.filters(since=since)
    assert ctx.filters(since="2024-02-29").since == "2024-02-29"


# ---- L1–L5: proxies, Gradio's open routes, the login cookie, headers -----------------------------
def test_x_forwarded_for_is_ignored_unless_the_proxy_is_configured(store, tmp_path_factory):
    plain = _serve(store, tmp_path_factory, rate_limit_per_minute=3)
    proxied = _serve(store, tmp_path_factory, rate_limit_per_minute=3, trusted_proxies="127.0.0.1")
    try:
        for s, expected in ((plain, [200, 200, 200, 429, 429]), (proxied, [200] * 5)):
            got = [httpx.post(s.url + "/api/ask", json={"question": "Who opened the Games?"}, timeout=60,
                              headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(5)]
            assert got == expected, (s.url, got)
    finally:
        plain.stop()
        proxied.stop()


def test_the_rate_limiter_table_is_bounded():
    from ui.limits import RateLimiter

    limiter = RateLimiter(per_minute=5)
    limiter.max_clients = 100
    for i in range(1000):
        assert limiter.retry_after(f"198.51.100.{i}") == 0.0
    assert len(limiter._hits) <= 101
    assert limiter.retry_after("198.51.100.999") == 0.0  # a recent client is still counted
    assert len(limiter._hits["198.51.100.999"]) == 2


def _login(url: str) -> httpx.Response:
    return httpx.post(url + "/login", data={"username": "reader", "password": TOKEN}, timeout=30)


def test_gradio_heartbeat_cancel_and_reset_need_the_login(token_server):
    url = token_server.url
    assert httpx.get(url + "/gradio_api/heartbeat/abc", timeout=10).status_code == 401
    body = {"session_hash": "abc", "fn_index": 0, "event_id": "e"}
    for route in ("/gradio_api/cancel", "/gradio_api/reset"):
        assert httpx.post(url + route, json=body, timeout=10).status_code == 401
    login = _login(url)
    assert login.status_code == 200, login.text
    with httpx.Client(cookies=login.cookies, timeout=10) as signed_in:
        with signed_in.stream("GET", url + "/gradio_api/heartbeat/abc") as r:
            assert r.status_code == 200
        assert signed_in.post(url + "/gradio_api/reset", json=body).status_code == 200
    bearer = httpx.post(url + "/gradio_api/reset", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert bearer.status_code == 200


def test_the_login_cookie_is_samesite_lax(token_server):
    cookies = _login(token_server.url).headers.get_list("set-cookie")
    assert len(cookies) == 2 and all("samesite=lax" in c.lower() for c in cookies), cookies


def test_x_forwarded_host_does_not_change_the_root(server):
    config = httpx.get(server.url + "/config", headers={"X-Forwarded-Host": "evil.example",
                                                         "X-Forwarded-Proto": "https"}, timeout=30).json()
    assert "evil.example" not in json.dumps(config)
    assert config["root"].startswith(server.url)


def test_every_page_says_nosniff(server):
    for path in ("/", "/api/health", "/widget.js", "/config"):
        assert httpx.get(server.url + path, timeout=30).headers.get("x-content-type-options") == "nosniff", path
