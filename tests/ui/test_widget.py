"""ui/widget.py and ui/static/widget*.js in Chromium: a page on another origin embeds the widget."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from ui_live import EVIL_QUESTION, SEED_QUESTION

pytestmark = pytest.mark.browser

FRAME = "iframe.newsbot-widget-frame"


def open_widget(page, host_pages, server, name: str, attributes: str = "", origin: str = ""):
    page.goto(f"{origin or host_pages.allowed_origin}/{host_pages.page(name, server.url, attributes)}")
    page.click("button.newsbot-widget-button")
    return page.frame_locator(FRAME)


def ask(frame, question: str):
    frame.locator("#nbw-input").fill(question)
    frame.locator("#nbw-send").click()
    frame.locator(".nbw-rate").last.wait_for(timeout=120_000)  # shown once the answer is complete
    return frame.locator(".nbw-bot").last


def click_and_see_the_card_flash(frame, button) -> None:
    """Click a citation marker and wait until some card was flashed. The highlight lasts 1.6 s, so
    it is recorded on the page's body as it is set: on loaded cores the test may look later."""
    button.evaluate("""b => { delete document.body.dataset.flashed;
        new MutationObserver(ms => { for (const m of ms)
            if (m.target.classList && m.target.classList.contains('nbw-flash')) document.body.dataset.flashed = '1'; })
        .observe(document.body, {attributes: true, attributeFilter: ['class'], subtree: true}); }""")
    button.click()
    frame.locator("body[data-flashed]").wait_for(state="attached", timeout=10_000)


def test_widget_on_another_origin_answers_with_highlighted_sources(page, server, host_pages):
    frame = open_widget(page, host_pages, server, "plain.html", 'data-color="#b91c1c" data-language="fr"')
    assert page.locator("button.newsbot-widget-button").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(185, 28, 28)"
    # the frame's script sets the placeholder once it has read the language: wait for it, not for the element
    expect(frame.locator("#nbw-input")).to_have_attribute("placeholder", re.compile(r"^Une question"), timeout=30_000)
    bubble = ask(frame, SEED_QUESTION)
    assert len(bubble.locator(".nbw-answer").inner_text()) > 20
    card = bubble.locator("li.nbw-card").first
    assert "trump-poutine-appel.txt" in card.locator(".nbw-meta").inner_text()
    assert len(card.locator("mark").first.inner_text()) > 10
    click_and_see_the_card_flash(frame, bubble.locator("button.nbw-cite").first)
    page.keyboard.press("Escape")


def test_widget_shows_the_first_quoted_sentence_and_the_rest_on_request(page, server, host_pages):
    frame = open_widget(page, host_pages, server, "plain.html")
    # answered with three sentences of the seed article (the README's example, with two, is closer to one)
    bubble = ask(frame, "Qui a annoncé l'appel téléphonique entre les deux présidents ?")
    answer = bubble.locator(".nbw-answer")
    full = answer.text_content()  # every quoted sentence is in the page, only the first one is shown
    shown = answer.inner_text()
    assert full.count("[") >= 2 and shown.count("[") == 1 and len(shown) < len(full) - 40
    assert "jeudi" in shown  # the first sentence: the Thursday call
    more = answer.locator("button.nbw-more")
    assert more.inner_text() == "More" and answer.locator(".nbw-rest").is_hidden()
    more.click()
    assert answer.locator(".nbw-rest").is_visible() and answer.locator("button.nbw-more").count() == 0
    revealed = answer.inner_text()
    assert revealed.count("[") == full.count("[") and len(revealed) > len(shown) + 40
    click_and_see_the_card_flash(frame, answer.locator(".nbw-rest button.nbw-cite").first)  # its markers lead to their cards too


def test_widget_default_filters_come_from_data_attributes(page, server, host_pages):
    frame = open_widget(page, host_pages, server, "filtered.html", 'data-source="No Such Outlet"')
    bubble = ask(frame, SEED_QUESTION)
    assert bubble.locator("li.nbw-card").count() == 0


def test_widget_shows_article_markup_as_text(page, server, host_pages):
    frame = open_widget(page, host_pages, server, "evil.html")
    bubble = ask(frame, EVIL_QUESTION)
    title = bubble.locator(".nbw-card-title").first.inner_text()
    assert "<script>window.__pwned='title'</script>" in title
    page.wait_for_timeout(500)
    inner = page.frames[-1]
    assert inner.evaluate("window.__pwned") is None and page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert bubble.locator("img, script, b, i, a").count() == 0  # the javascript: URL is no link either


def test_widget_is_refused_on_an_unlisted_origin(page, server, host_pages):
    page.goto(f"{host_pages.refused_origin}/{host_pages.page('refused.html', server.url)}")
    page.click("button.newsbot-widget-button")
    page.locator(".newsbot-widget-refusal").wait_for(timeout=20_000)  # the loader explains (test_widget_panel.py)
    # A frame made by hand is still refused: Chromium replaces it by an error page (frame-ancestors).
    page.evaluate("""(url) => { const f = document.createElement('iframe'); f.className = 'newsbot-widget-frame';
                                 f.src = url + '/widget'; document.body.appendChild(f); }""", server.url)
    child = page.locator(FRAME).element_handle().content_frame()
    child.wait_for_url(lambda url: url.startswith("chrome-error://"), timeout=20_000)
    assert page.frame_locator(FRAME).locator("#nbw-input").count() == 0
    status = page.evaluate("""async (url) => {
        try { const r = await fetch(url + '/api/articles'); return 'read ' + r.status; }
        catch (e) { return 'blocked'; }
    }""", server.url)
    assert status == "blocked"


def test_widget_fits_a_phone_screen(browser, server, host_pages):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    frame = open_widget(page, host_pages, server, "phone.html")
    ask(frame, SEED_QUESTION)
    box = page.locator(FRAME).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] >= 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_widget_cards_show_resolved_dates_and_as_of_applies(page, dated_server, host_pages):
    frame = open_widget(page, host_pages, dated_server, "dated.html", 'data-language="fr"')
    bubble = ask(frame, SEED_QUESTION)
    cards = bubble.locator("li.nbw-card")
    assert cards.count() >= 1
    for i in range(cards.count()):
        assert "3 juillet 2025" in cards.nth(i).locator(".nbw-meta").inner_text()
    text = " ".join(cards.nth(i).locator(".nbw-passage").inner_text() for i in range(cards.count()))
    # "jeudi" alone gets its date; an article that writes it out ("le jeudi 3 juillet 2025") no note repeating it
    assert "jeudi (3 juillet 2025)" in text or ("jeudi 3 juillet 2025" in text and "(3 juillet 2025)" not in text), text
    # asked as of the day before publication, the article is not there yet
    page.keyboard.press("Escape")
    earlier = open_widget(page, host_pages, dated_server, "dated-before.html", 'data-as-of="2025-07-02"')
    bubble = ask(earlier, SEED_QUESTION)
    assert bubble.locator("li.nbw-card").count() == 0


def test_widget_shows_a_range_of_days_once(page, weekend_server, host_pages):
    frame = open_widget(page, host_pages, weekend_server, "weekend.html", 'data-language="fr"')
    bubble = ask(frame, "Où s'est achevée la course à la voile autour de la Bretagne ?")
    text = bubble.locator("li.nbw-card .nbw-passage").first.inner_text()
    assert "le week-end dernier (28–29 juin 2025)" in text, text



def test_the_widget_writes_dates_as_the_chat_does(page):
    """The widget's readableDate (JavaScript, run in Chromium) against ui/render.py's readable_date,
    for days, months, weeks and intervals, in both languages."""
    from pathlib import Path

    from ui.render import readable_date

    src = (Path(__file__).parents[2] / "ui" / "static" / "widget-app.js").read_text(encoding="utf-8")
    words = src[src.index("  var WORDS = {"):src.index("  var params")]
    functions = src[src.index("  function readableMonths("):src.index("  // The passage as text nodes")]
    values = ["2025-07-03", "2025-06", "2025-W27", "2025", "2025-06-28/2025-06-29", "2025-06-28/2025-07-03",
              "2025-03-01/2025-05-31", "2024-11-01/2025-02-28", "2024-02-01/2024-02-29", "1990-01-01/1999-12-31",
              "2024-01-01/2024-12-31", "2025-06-03/2025-07-03"]
    for lang in ("en", "fr"):
        got = page.evaluate(f"([values, lang]) => {{ {words} var w = WORDS[lang]; {functions} return values.map(readableDate); }}",
                            [values, lang])
        assert got == [readable_date(v, lang) for v in values]
    assert readable_date("1990-01-01/1999-12-31") == "1990–1999" and readable_date("2025-03-01/2025-05-31") == "March – May 2025"
