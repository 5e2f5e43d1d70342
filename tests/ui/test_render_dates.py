"""One note per date and one unbroken highlight, in the chat (ui/render.py) and the widget
(ui/static/widget-app.js, run in Chromium) alike."""
from __future__ import annotations

from pathlib import Path

import pytest

from ui.render import date_notes, highlighted_passage

CEREMONY = "The opening ceremony took place on Friday 26 July 2024 on the Seine."
BORN = "Born in Chicago in 1955, she moved to Paris."
CALL = "Trump and Putin spoke on Thursday, the Kremlin said. They had last spoken on Thursday too."
SPLIT = "Les deux présidents se sont parlé jeudi 3 juillet, selon le Kremlin."


def phrase(passage: str, text: str, value: str, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = passage.index(text, start + 1)
    return {"text": text, "start": start, "end": start + len(text), "value": value}


CASES = {
    # (passage, highlight spans, dates)
    "two phrases of one date": (CEREMONY, [[0, len(CEREMONY)]],
                                [phrase(CEREMONY, "Friday", "2024-07-26"), phrase(CEREMONY, "26 July 2024", "2024-07-26")]),
    "a year that says itself": (BORN, [], [phrase(BORN, "1955", "1955")]),
    "a note inside a highlight": (CALL, [[0, CALL.index(".") + 1]],
                                  [phrase(CALL, "Thursday", "2025-07-03"), phrase(CALL, "Thursday", "2025-07-03", 1)]),
    "a highlight ending on the phrase": (CALL, [[0, CALL.index(",")]], [phrase(CALL, "Thursday", "2025-07-03")]),
    "a day without its year": (SPLIT, [[0, len(SPLIT)]],
                               [phrase(SPLIT, "jeudi", "2025-07-03"), phrase(SPLIT, "3 juillet", "2025-07-03")]),
    "two dates": (CALL, [[0, 10], [12, 20]], [phrase(CALL, "Thursday", "2025-07-03"),
                                             phrase(CALL, "Thursday", "2025-06-26", 1)]),
}


def test_two_phrases_of_one_written_out_date_get_no_note():
    passage, spans, dates = CASES["two phrases of one date"]
    out = highlighted_passage(passage, spans, dates)
    assert "nb-date" not in out
    assert out == f'<mark class="nb-hl">{passage}</mark>'


def test_a_phrase_that_is_its_date_gets_no_note():
    passage, spans, dates = CASES["a year that says itself"]
    assert highlighted_passage(passage, spans, dates) == passage
    assert date_notes("Les faits datent de juillet 2025.", [phrase("Les faits datent de juillet 2025.", "juillet 2025",
                                                                   "2025-07")], "en") == {}


def test_one_note_per_date_and_one_mark_per_highlight():
    passage, spans, dates = CASES["a note inside a highlight"]
    out = highlighted_passage(passage, spans, dates)
    assert out.count("(3 July 2025)") == 1  # the second "Thursday" is the same day
    assert out.count("<mark") == 1
    assert out.startswith('<mark class="nb-hl">Trump and Putin spoke on Thursday<span class="nb-date"> (3 July 2025)</span>, '
                          'the Kremlin said.</mark>')


def test_a_note_after_a_highlight_that_ends_on_its_phrase():
    passage, spans, dates = CASES["a highlight ending on the phrase"]
    assert highlighted_passage(passage, spans, dates).startswith(
        '<mark class="nb-hl">Trump and Putin spoke on Thursday</mark><span class="nb-date"> (3 July 2025)</span>,')


def test_phrases_side_by_side_get_their_note_after_the_last():
    passage, spans, dates = CASES["a day without its year"]
    out = highlighted_passage(passage, spans, dates, "fr")
    assert "jeudi 3 juillet<span class=\"nb-date\"> (3 juillet 2025)</span>," in out and out.count("nb-date") == 1
    assert out.count("<mark") == 1


def test_different_dates_each_get_their_note():
    passage, spans, dates = CASES["two dates"]
    notes = date_notes(passage, dates)
    assert sorted(notes.values()) == ["26 June 2025", "3 July 2025"]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_widget_renders_passages_as_the_chat_does(page, lang):
    src = (Path(__file__).parents[2] / "ui" / "static" / "widget-app.js").read_text(encoding="utf-8")
    words = src[src.index("  var WORDS = {"):src.index("  var params")]
    el = src[src.index("  function el("):src.index("  function scrollDown(")]
    functions = src[src.index("  function readableMonths("):src.index("  function appendCited(")]
    cases = list(CASES.values())
    widget = page.evaluate(
        f"""([cases, lang]) => {{ {words} var w = WORDS[lang]; {el} {functions}
            return cases.map(c => passageNode(c[0], c[1], c[2]).innerHTML); }}""", [cases, lang])
    # The chat's HTML, read back by the same browser, with the widget's class names.
    chat = page.evaluate("""(htmls) => htmls.map(h => { const d = document.createElement('blockquote'); d.innerHTML = h;
                            return d.innerHTML; })""",
                         [highlighted_passage(p, s, d, lang).replace(' class="nb-hl"', "").replace("nb-date", "nbw-date")
                          for p, s, d in cases])
    assert widget == chat
