"""ui/app.py in Chromium: the Gradio chat streams cited answers, escapes articles, filters, rates,
switches language, adds articles, and fits a phone screen."""
from __future__ import annotations

import json

import pytest
from ui_live import EVIL_QUESTION, SEED_QUESTION

pytestmark = pytest.mark.browser

STREAM_WATCH = """() => {
  window.__sawStreaming = false;
  new MutationObserver(() => { if (document.querySelector('.nb-streaming')) window.__sawStreaming = true; })
    .observe(document.body, {childList: true, subtree: true});
}"""


def open_chat(page, server):
    page.goto(server.url + "/")
    page.wait_for_selector("#nb-question textarea", timeout=60_000)


def ask(page, question: str, turns_before: int = 0) -> None:
    page.fill("#nb-question textarea", question)
    page.click("#nb-ask")
    page.wait_for_function(f"document.querySelectorAll('.nb-turn .nb-a:not(.nb-streaming)').length > {turns_before}",
                           timeout=120_000)


def test_chat_streams_an_answer_with_highlighted_source_cards(page, server):
    open_chat(page, server)
    page.evaluate(STREAM_WATCH)
    ask(page, SEED_QUESTION)
    assert page.evaluate("window.__sawStreaming")
    turn = page.locator(".nb-turn").last
    assert len(turn.locator(".nb-a").inner_text().strip()) > 20
    card = turn.locator("li.nb-card").first
    assert "Trump" in card.locator(".nb-title").inner_text()
    assert "trump-poutine-appel.txt" in card.locator(".nb-meta").inner_text()
    mark = card.locator("mark.nb-hl").first
    assert len(mark.inner_text().strip()) > 10 and mark.is_visible()
    assert turn.locator("a.nb-cite").count() >= 1


def test_clicking_a_marker_brings_its_card_into_view(page, server):
    page.set_viewport_size({"width": 1280, "height": 600})
    open_chat(page, server)
    ask(page, SEED_QUESTION)
    ask(page, "Quand Trump et Poutine se sont-ils parlé pour la dernière fois ?", turns_before=1)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    first_card = page.locator(".nb-turn").first.locator("li.nb-card").first
    page.locator(".nb-turn").first.locator("a.nb-cite").first.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    # the highlight lasts 1.6 s: record it as it is set, as a loaded machine may look later
    page.evaluate("""() => { window.__flashed = false; const card = document.querySelector('.nb-turn li.nb-card');
        new MutationObserver(() => { if (card.classList.contains('nb-flash')) window.__flashed = true; })
        .observe(card, {attributes: true, attributeFilter: ['class']}); }""")
    page.locator(".nb-turn").first.locator("a.nb-cite").first.click()
    page.wait_for_function("""() => {
        const card = document.querySelector('.nb-turn li.nb-card');
        const r = card.getBoundingClientRect();
        return r.top >= 0 && r.top < window.innerHeight && window.__flashed;
    }""", timeout=10_000)
    assert first_card.is_visible()


def test_article_markup_is_shown_as_text_never_run(page, server):
    open_chat(page, server)
    ask(page, EVIL_QUESTION)
    card = page.locator("li.nb-card").first
    assert "<script>window.__pwned='title'</script>" in card.locator(".nb-title").inner_text()
    assert "<i>Evil Times</i>" in card.locator(".nb-meta").inner_text()
    assert "onerror" in page.locator(".nb-turn").last.inner_text()
    page.wait_for_timeout(500)  # give any injected handler (img onerror) time to fire
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert page.locator("#nb-transcript img, #nb-transcript script, #nb-transcript b, #nb-transcript i").count() == 0
    assert page.locator("#nb-transcript a[href^='javascript'], #nb-transcript a.nb-title").count() == 0


def test_filters_apply_to_the_next_question(page, server):
    open_chat(page, server)
    page.fill("#nb-since textarea, #nb-since input", "2099-01-01")
    ask(page, SEED_QUESTION)
    assert page.locator(".nb-turn").last.locator("li.nb-card").count() == 0
    page.fill("#nb-since textarea, #nb-since input", "")
    ask(page, SEED_QUESTION, turns_before=1)
    assert page.locator(".nb-turn").last.locator("li.nb-card").count() >= 1
    page.fill("#nb-until textarea, #nb-until input", "last week")
    page.fill("#nb-question textarea", SEED_QUESTION)
    page.click("#nb-ask")
    page.get_by_text("is not a date like").first.wait_for(timeout=20_000)


def test_example_questions_come_from_the_articles(page, server, ui_store):
    open_chat(page, server)
    examples = page.locator("#nb-examples button")
    examples.first.wait_for()
    texts = [examples.nth(i).inner_text() for i in range(examples.count())]
    titles = [a["title"] for a in ui_store.articles()]
    assert any(" ".join(t.split()[:3]) in x for t in titles for x in texts)
    examples.first.click()
    page.wait_for_function("document.querySelector('#nb-question textarea').value.length > 0")
    shown = texts[0].strip().removesuffix("...")  # long samples are cut short on screen
    assert page.input_value("#nb-question textarea").startswith(shown)


def test_thumbs_are_logged_with_the_answer_and_citations(page, server):
    open_chat(page, server)
    ask(page, SEED_QUESTION)
    page.click("#nb-up")
    page.wait_for_function("document.querySelector('#nb-feedback-status textarea')?.value.length > 0")
    entry = json.loads(server.settings.feedback_log.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["rating"] == "up" and entry["channel"] == "chat" and entry["question"] == SEED_QUESTION
    assert entry["citations"] and entry["citations"][0]["quote"]


def test_labels_follow_the_browser_and_the_language_switch(browser, server):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    open_chat(page, server)
    page.wait_for_function("document.querySelector('#nb-ask').innerText.includes('Demander')", timeout=20_000)
    page.get_by_text("English", exact=True).click()
    page.wait_for_function("document.querySelector('#nb-ask').innerText.includes('Ask')", timeout=20_000)
    assert "Outlet" in page.locator("#nb-filters").inner_text()
    context.close()


def test_add_articles_panel_ingests_and_reports_bad_files(page, server, tmp_path, seed_dir):
    good = tmp_path / "festival.txt"
    good.write_text("Harbour festival in Brest\n\nThe Brest harbour festival welcomed two thousand sailing boats.\n",
                    encoding="utf-8")
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4 not an article")
    open_chat(page, server)
    page.click("#nb-add .label-wrap")
    page.set_input_files("#nb-files input[type=file]", [str(good), str(bad)])
    page.wait_for_function("document.querySelector('#nb-files').innerText.includes('.pdf')", timeout=30_000)
    page.fill("#nb-urls textarea", str(seed_dir))  # a server path is no URL: it must not be read
    page.click("#nb-ingest")
    page.wait_for_function("document.querySelector('#nb-ingest-status textarea').value.includes('Done')",
                           timeout=120_000)
    status = page.input_value("#nb-ingest-status textarea")
    assert "1 articles" in status
    assert f"{seed_dir}: not an http(s) URL; skipped" in status
    assert "scan.pdf: unsupported file type '.pdf'" in status
    # Uploads are named as the visitor named them, never by the server's temporary path (the
    # server path typed as a URL above is echoed back as given, wherever the checkout lies).
    skipped = status.split("Skipped inputs:")[1].replace(str(seed_dir), "")
    assert "/tmp" not in skipped


def test_chat_fits_a_phone_screen(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_chat(page, server)
    ask(page, SEED_QUESTION)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator("li.nb-card").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    context.close()


def test_cards_show_the_article_date_and_resolved_dates_next_to_the_words(page, dated_server):
    open_chat(page, dated_server)
    ask(page, SEED_QUESTION)
    cards = page.locator(".nb-turn").last.locator("li.nb-card")
    assert cards.count() >= 1
    for i in range(cards.count()):
        assert "3 July 2025" in cards.nth(i).locator(".nb-meta").inner_text()
    text = " ".join(cards.nth(i).locator(".nb-passage").inner_text() for i in range(cards.count()))
    # "jeudi" alone gets its date; an article that writes it out ("le jeudi 3 juillet 2025") no note repeating it
    assert "jeudi (3 July 2025)" in text or ("jeudi 3 juillet 2025" in text and "(3 July 2025)" not in text), text
    for note in page.locator(".nb-passage .nb-date").all():
        assert note.inner_text().strip() in ("(3 July 2025)", "(14 June 2025)", "(June 2025)", "(April 2025)")
