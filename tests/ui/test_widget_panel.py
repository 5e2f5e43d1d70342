"""The widget's panel in Chromium: a visible close button, and on a site whose origin the server
does not allow, an explanation in the panel instead of the browser's grey broken frame."""
from __future__ import annotations

import httpx
import pytest
from samples_live import README_QUESTION, samples_store, serve

pytestmark = pytest.mark.browser

PANEL = "div.newsbot-widget-panel"
FRAME = "iframe.newsbot-widget-frame"


@pytest.fixture(scope="module")
def server(tmp_path_factory, e5, host_pages):
    server = serve(samples_store(tmp_path_factory.mktemp("samples-store"), e5), cors_origins=host_pages.allowed_origin)
    yield server
    server.stop()


def test_the_origin_check_answers_for_the_asking_origin_only(server, host_pages):
    def check(origin: str | None) -> dict:
        r = httpx.get(server.url + "/widget/origin", headers={"Origin": origin} if origin else {})
        # readable by any page (the CORS layer names an allowed origin instead of "*")
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] in ("*", origin)
        return r.json()

    assert check(host_pages.allowed_origin) == {"origin": host_pages.allowed_origin, "allowed": True}
    assert check(host_pages.refused_origin) == {"origin": host_pages.refused_origin, "allowed": False}
    assert check(server.url)["allowed"] is True  # the server's own pages
    assert check(None) == {"origin": "", "allowed": False}


def test_a_refused_site_gets_an_explanation_in_the_panel(page, server, host_pages):
    page.goto(f"{host_pages.refused_origin}/{host_pages.page('refused-panel.html', server.url)}")
    page.click("button.newsbot-widget-button")
    refusal = page.locator(f"{PANEL} .newsbot-widget-refusal")
    refusal.wait_for(timeout=20_000)
    text = refusal.inner_text()
    assert host_pages.refused_origin in text and "not among the sites allowed" in text and "NEWSBOT_CORS_ORIGINS" in text
    assert page.locator(FRAME).count() == 0  # no frame for the browser to break
    close = page.locator(f"{PANEL} button.newsbot-widget-close")
    assert close.is_visible() and close.get_attribute("aria-label") == "Close"
    close.click()
    assert page.locator(PANEL).is_hidden()
    assert page.locator("button.newsbot-widget-button").get_attribute("aria-expanded") == "false"


def test_the_refusal_is_in_the_widget_language(page, server, host_pages):
    page.goto(f"{host_pages.refused_origin}/{host_pages.page('refused-fr.html', server.url, 'data-language=fr')}")
    page.click("button.newsbot-widget-button")
    refusal = page.locator(f"{PANEL} .newsbot-widget-refusal")
    refusal.wait_for(timeout=20_000)
    assert "ne fait pas partie des sites autorisés" in refusal.inner_text()
    assert page.locator(f"{PANEL} button.newsbot-widget-close").get_attribute("aria-label") == "Fermer"


def test_an_allowed_site_gets_the_chat_and_a_visible_close_button(page, server, host_pages):
    page.goto(f"{host_pages.allowed_origin}/{host_pages.page('closable.html', server.url)}")
    page.click("button.newsbot-widget-button")
    frame = page.frame_locator(FRAME)
    frame.locator("#nbw-input").fill(README_QUESTION)
    frame.locator("#nbw-send").click()
    frame.locator(".nbw-rate").wait_for(timeout=120_000)
    close = page.locator(f"{PANEL} button.newsbot-widget-close")
    box, panel = close.bounding_box(), page.locator(PANEL).bounding_box()
    assert close.is_visible() and box["width"] >= 24 and box["height"] >= 24
    assert panel["x"] <= box["x"] and box["x"] + box["width"] <= panel["x"] + panel["width"]
    # the button is on top where it sits (the frame's header does not cover it)
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).className",
                        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert hit == "newsbot-widget-close"
    close.click()
    assert page.locator(PANEL).is_hidden()
    page.click("button.newsbot-widget-button")  # opens again where it was, the conversation kept
    assert page.locator(PANEL).is_visible()
    assert frame.locator(".nbw-user").inner_text() == README_QUESTION


def test_a_server_gone_since_the_page_loaded_is_said_in_the_panel(page, e5, tmp_path, host_pages):
    gone = serve(samples_store(tmp_path / "store", e5), cors_origins=host_pages.allowed_origin)
    page.goto(f"{host_pages.allowed_origin}/{host_pages.page('gone.html', gone.url)}")
    page.locator("button.newsbot-widget-button").wait_for()
    gone.stop()
    page.click("button.newsbot-widget-button")
    refusal = page.locator(f"{PANEL} .newsbot-widget-refusal")
    refusal.wait_for(timeout=20_000)
    assert refusal.inner_text() == f"The news chat cannot be reached right now ({gone.url})."
    assert page.locator(FRAME).count() == 0
