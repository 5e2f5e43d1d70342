"""The short answer in the chat: first, set apart above the quote, with the date it names."""
from __future__ import annotations

from ui.render import short_answer_html, turn_html

ANSWER = {"answer": "Les présidents ont eu un entretien téléphonique le jeudi 3 juillet 2025. [1]", "refused": False,
          "short_answer": "jeudi", "short_date": "2025-07-03",
          "citations": [{"n": 1, "title": "Trump et Poutine", "passage": "x", "highlight": [], "dates": []}]}


def test_the_short_answer_comes_first_with_its_date():
    html = turn_html("When did Trump and Putin last speak?", ANSWER, 0, "en")
    short = html.index('<div class="nb-short-answer"><strong class="nb-short">jeudi</strong>')
    assert short < html.index('<div class="nb-a">')
    assert '<span class="nb-short-date">(3 July 2025)</span>' in html
    assert "(3 juillet 2025)" in short_answer_html(ANSWER, "fr")


def test_no_short_answer_block_without_one_or_for_a_refusal_and_no_date_it_already_says():
    assert short_answer_html(dict(ANSWER, short_answer=""), "en") == ""
    assert short_answer_html(dict(ANSWER, refused=True), "en") == ""
    said = short_answer_html(dict(ANSWER, short_answer="3 July 2025"), "en")
    assert "nb-short-date" not in said and "3 July 2025" in said
    assert "&lt;b&gt;" in short_answer_html(dict(ANSWER, short_answer="<b>", short_date=""), "en")
    assert "nb-short-answer" not in turn_html("q", dict(ANSWER, short_answer=""), 0, "en")
