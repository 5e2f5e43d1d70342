"""ui/server.py: CORS and origin refusal, framing policy, Gradio auth and the Gradio API for gradio_client."""
from __future__ import annotations

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AuthenticationError
from ui_live import SEED_QUESTION


def test_cors_preflight_allows_only_configured_origins(server, host_pages):
    with httpx.Client(base_url=server.url) as c:
        ok = c.options("/api/ask", headers={"Origin": host_pages.allowed_origin, "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "content-type"})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == host_pages.allowed_origin
        refused = c.options("/api/ask", headers={"Origin": host_pages.refused_origin, "Access-Control-Request-Method": "POST"})
        assert refused.status_code >= 400 and "access-control-allow-origin" not in refused.headers


def test_cross_origin_calls_from_other_origins_are_refused(server, host_pages):
    with httpx.Client(base_url=server.url, timeout=120) as c:
        ok = c.post("/api/ask", json={"question": SEED_QUESTION}, headers={"Origin": host_pages.allowed_origin})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == host_pages.allowed_origin
        refused = c.post("/api/ask", json={"question": SEED_QUESTION}, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403 and "NEWSBOT_CORS_ORIGINS" in refused.json()["detail"]
        assert "access-control-allow-origin" not in refused.headers
        same = c.post("/api/ask", json={"question": SEED_QUESTION}, headers={"Origin": server.url})
        assert same.status_code == 200  # the widget page itself calls the API from the server's origin


def test_widget_page_may_be_framed_only_by_configured_origins(server, host_pages):
    with httpx.Client(base_url=server.url) as c:
        r = c.get("/widget")
        assert r.status_code == 200 and 'id="nbw-log"' in r.text
        csp = r.headers["content-security-policy"]
        assert f"frame-ancestors 'self' {host_pages.allowed_origin}" in csp
        assert host_pages.refused_origin not in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        js = c.get("/widget.js")
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
        assert c.get("/widget/widget-app.js").status_code == 200
        assert c.get("/widget/../ingest/settings.py").status_code == 404


def test_gradio_api_answers_through_gradio_client(server):
    client = Client(server.url + "/", verbose=False)
    assert {"/ask", "/chat"} <= set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    answer = client.predict(SEED_QUESTION, None, {"lang": "fr"}, 3, api_name="/ask")
    assert answer["question"] == SEED_QUESTION and answer["citations"][0]["source"] == "trump-poutine-appel.txt"


def test_gradio_auth_guards_the_chat(start_server, ui_store):
    srv = start_server(ui_store, auth="ann:pass word")
    with httpx.Client(base_url=srv.url) as c:
        assert c.get("/config").status_code == 401
        login = c.post("/login", data={"username": "ann", "password": "pass word"})
        assert login.status_code == 200 and c.get("/config").status_code == 200
    with pytest.raises(AuthenticationError, match="credentials"):
        Client(srv.url + "/", verbose=False)
    client = Client(srv.url + "/", auth=("ann", "pass word"), verbose=False)
    assert client.predict(question=SEED_QUESTION, api_name="/ask")["citations"]
