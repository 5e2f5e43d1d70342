"""With a token set, a person signs in to the chat in Chromium and gets an answer: the login
cookie, now SameSite=Lax, is sent by the chat's own page, and Gradio's heartbeat, now behind the
login, keeps working for the signed-in page (issue 23, L2 and L3)."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime import Runtime
from ingest.pipeline import Ingester
from ingest.store import Store
from ui.server import BackgroundServer, create_app
from ui.settings import Settings

pytestmark = pytest.mark.browser
TOKEN = "browser-token"
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "articles.jsonl"


@pytest.fixture(scope="module")
def server(tmp_path_factory, e5):
    path = tmp_path_factory.mktemp("login-store")
    store = Store(path, e5)
    assert Ingester(store, Settings(store=path)).ingest([str(SAMPLES)], progress=False).errors == []
    settings = Settings(store=store.path, feedback_log=tmp_path_factory.mktemp("fb") / "f.jsonl", api_token=TOKEN)
    s = BackgroundServer(create_app(settings, Runtime.from_store(store))).start()
    yield s
    s.stop()


def test_a_person_signs_in_and_asks(page, server):
    heartbeats = []
    page.on("response", lambda r: heartbeats.append(r.status) if "/gradio_api/heartbeat/" in r.url else None)
    page.goto(server.url + "/")
    page.locator("input[type=password]").wait_for(timeout=60_000)
    page.locator("input[type=text]").first.fill("reader")
    page.locator("input[type=password]").fill(TOKEN)
    page.keyboard.press("Enter")
    page.wait_for_selector("#nb-question textarea", timeout=60_000)
    cookies = [c for c in page.context.cookies() if c["name"].startswith("access-token")]
    assert cookies and all(c["sameSite"] == "Lax" for c in cookies), cookies
    page.fill("#nb-question textarea", "Who opened the Olympic Games on the Seine?")
    page.click("#nb-ask")
    page.wait_for_selector(".nb-turn .nb-a:not(.nb-streaming)", timeout=120_000)
    assert "Seine" in page.inner_text("#nb-transcript")
    assert 401 not in heartbeats
