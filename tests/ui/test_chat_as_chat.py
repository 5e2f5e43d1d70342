"""The chat reads as a chat (Chromium, on the quick start's store): 👍/👎 only under an answer,
the README's question first among whole example questions, date filters that do not look set,
one message for an empty question, and on a phone no passage scrolling inside its card."""
from __future__ import annotations

import pytest
from samples_live import README_QUESTION, samples_store, serve

from ui.examples import SAMPLE_QUESTIONS, example_questions

EXAMPLES = "#nb-examples button.nb-example"


@pytest.fixture(scope="module")
def server(tmp_path_factory, e5):
    server = serve(samples_store(tmp_path_factory.mktemp("samples-store"), e5))
    yield server
    server.stop()


def open_chat(page, server):
    page.goto(server.url + "/")
    page.wait_for_selector("#nb-question textarea", timeout=60_000)
    page.locator(EXAMPLES).first.wait_for(timeout=30_000)


def ask(page, question: str) -> None:
    page.fill("#nb-question textarea", question)
    page.click("#nb-ask")
    page.wait_for_selector(".nb-turn .nb-a:not(.nb-streaming)", timeout=120_000)


def test_example_questions_without_the_samples_are_whole_titles():
    long_title = "A very long title of an article that goes on well past sixty characters before it ends"
    articles = [{"id": "a", "title": long_title}, {"id": "b", "title": "  Two   spaces "}, {"id": "c", "title": ""}]
    assert example_questions(articles, "en") == [f"What do the articles say about “{long_title}”?",
                                                 "What do the articles say about “Two spaces”?"]
    samples = [{"id": aid, "title": "t"} for aid, _ in reversed(SAMPLE_QUESTIONS)] + articles
    assert example_questions(samples, "fr")[0] == "Quand Trump et Poutine se sont-ils parlé pour la dernière fois ?"
    assert len(example_questions(samples, "en", n=6)) == 6


@pytest.mark.browser
def test_the_readme_question_comes_first_and_every_example_reads_whole(page, server):
    open_chat(page, server)
    buttons = page.locator(EXAMPLES)
    shown = [buttons.nth(i).inner_text().strip() for i in range(buttons.count()) if buttons.nth(i).is_visible()]
    assert shown == [qs["en"] for _, qs in SAMPLE_QUESTIONS]  # all six samples are in the store
    assert shown[0] == README_QUESTION
    for i in range(len(shown)):
        assert buttons.nth(i).evaluate("b => b.scrollWidth <= b.clientWidth + 1"), shown[i]  # nothing cut
    buttons.nth(4).click()
    page.wait_for_function("document.querySelector('#nb-question textarea').value.length > 0")
    assert page.input_value("#nb-question textarea") == shown[4]


@pytest.mark.browser
def test_ratings_show_only_under_an_answer(page, server):
    open_chat(page, server)
    assert page.locator("#nb-up").is_hidden() and page.locator("#nb-down").is_hidden()
    assert page.locator("#nb-feedback-status").is_hidden()
    ask(page, README_QUESTION)
    page.locator("#nb-up").wait_for(state="visible", timeout=30_000)
    below = page.locator("#nb-up").bounding_box()["y"]
    assert below > page.locator(".nb-turn").last.bounding_box()["y"]
    assert page.locator("#nb-feedback-status").is_hidden()  # no empty box beside the thumbs
    page.click("#nb-up")
    page.wait_for_function("(document.querySelector('#nb-feedback-status textarea') || {}).value === "
                           "'Thanks, your feedback was recorded.'", timeout=30_000)
    page.click("#nb-clear")
    page.locator("#nb-up").wait_for(state="hidden", timeout=30_000)


@pytest.mark.browser
def test_the_date_filters_do_not_look_set(page, server):
    open_chat(page, server)
    for box in ("#nb-since", "#nb-until"):
        field = page.locator(f"{box} textarea, {box} input").first
        assert field.input_value() == ""
        assert field.get_attribute("placeholder") == "any date (YYYY-MM-DD)"
    assert "2025" not in page.locator("#nb-filters").inner_text()


@pytest.mark.browser
def test_an_empty_question_gets_one_clear_message(page, server):
    open_chat(page, server)
    page.click("#nb-ask")
    error = page.locator(".nb-error")
    error.wait_for(timeout=30_000)
    assert error.count() == 1 and error.inner_text() == "Type a question first."
    page.wait_for_timeout(1000)  # a toast or error badge would have come by now
    assert page.locator(".toast-body, .toast-wrap .toast").count() == 0
    assert page.get_by_text("Error", exact=True).count() == 0
    # the next question answers, and the message goes
    ask(page, README_QUESTION)
    assert page.locator(".nb-error").count() == 0


@pytest.mark.browser
def test_a_bad_date_gets_one_message_and_keeps_the_question(page, server):
    open_chat(page, server)
    page.fill("#nb-since textarea, #nb-since input", "last year")
    page.fill("#nb-question textarea", README_QUESTION)
    page.click("#nb-ask")
    page.locator(".nb-error").wait_for(timeout=30_000)
    assert page.locator(".nb-error").inner_text() == "since: 'last year' is not a date like 2025-07-03"
    assert page.input_value("#nb-question textarea") == README_QUESTION
    assert page.get_by_text("Error", exact=True).count() == 0


@pytest.mark.browser
def test_on_a_phone_the_page_scrolls_not_the_passage(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_chat(page, server)
    ask(page, "What happened at the Paris Olympics opening ceremony?")
    passages = page.locator("blockquote.nb-passage")
    assert passages.count() >= 1
    for i in range(passages.count()):
        assert passages.nth(i).evaluate("q => getComputedStyle(q).overflowY") == "visible"
        assert passages.nth(i).evaluate("q => q.scrollHeight <= q.clientHeight + 1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
