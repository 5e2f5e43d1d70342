"""ui/render.py: answers become HTML in which nothing from an article is markup."""
from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from ui.render import answer_text, highlighted_passage, safe_url, source_card, transcript_html

TAG_RE = re.compile(r"<[^>]*>")


def test_highlight_wraps_only_the_span_and_escapes_the_rest():
    out = highlighted_passage("a <b>bold</b> claim. Next.", [[0, 20]])
    assert out == '<mark class="nb-hl">a &lt;b&gt;bold&lt;/b&gt; claim.</mark> Next.'


@given(st.text(max_size=200), st.lists(st.tuples(st.integers(-5, 250), st.integers(-5, 250)), max_size=4))
def test_highlighted_passage_shows_exactly_the_passage_text(passage, spans):
    out = highlighted_passage(passage, [list(s) for s in spans])
    # The only tags are our own <mark>s; without them the escaped text is the passage itself.
    assert all(t in ('<mark class="nb-hl">', "</mark>") for t in TAG_RE.findall(out))
    assert html.unescape(TAG_RE.sub("", out)) == passage


@given(st.text(max_size=200))
def test_answer_text_contains_no_markup_but_citation_links(text):
    out = answer_text(text, 0, {1, 2})
    assert all(t.startswith('<a class="nb-cite"') or t == "</a>" for t in TAG_RE.findall(out))
    assert html.unescape(TAG_RE.sub("", out)) == text


def test_markers_link_to_their_card_only_when_cited():
    out = answer_text("Claim [1]. Other [7].", 3, {1})
    assert 'href="#nb-src-3-1"' in out and "[7]" in out and "nb-src-3-7" not in out


def test_only_http_urls_become_links():
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "//evil.example/x", "vbscript:x", ""):
        assert safe_url(bad) == ""
    card = source_card({"n": 1, "title": "T", "url": "javascript:alert(1)", "passage": "p", "highlight": []}, 0, "en")
    assert "<a " not in card and "javascript" not in card


def test_card_escapes_every_article_field():
    evil = "<img src=x onerror=alert(1)>"
    card = source_card({"n": 2, "title": evil, "source": evil, "published": "2025-01-01", "url": "https://x.org/\"><script>",
                        "passage": evil, "highlight": [[0, 5]]}, 1, "fr")
    assert "<img" not in card and "<script" not in card
    assert 'href="https://x.org/&quot;&gt;&lt;script&gt;"' in card


def test_transcript_shows_a_streaming_turn_after_the_finished_ones():
    done = {"question": "q1", "answer": {"answer": "A [1]", "refused": False, "citations": [
        {"n": 1, "title": "T", "source": "S", "url": "", "published": "", "passage": "A", "highlight": [[0, 1]]}]}}
    out = transcript_html([done], "en", pending=("q2", "partial <text>"))
    assert out.index("q1") < out.index("q2")
    assert "partial &lt;text&gt;" in out and 'id="nb-src-0-1"' in out and "nb-streaming" in out


def test_resolved_dates_follow_their_words_inside_and_outside_highlights():
    passage = "Ils se sont parlé jeudi. Le dernier appel remontait au 14 juin."
    dates = [{"text": "jeudi", "start": 18, "end": 23, "value": "2025-07-03"},
             {"text": "14 juin", "start": 55, "end": 62, "value": "2025-06-14"}]
    out = highlighted_passage(passage, [[0, 24]], dates, "fr")
    # one highlight, the note inside it (no stray highlighted "." after the note)
    assert out == ('<mark class="nb-hl">Ils se sont parlé jeudi<span class="nb-date"> (3 juillet 2025)</span>'
                   '.</mark> Le dernier appel remontait au 14 juin'
                   '<span class="nb-date"> (14 juin 2025)</span>.')
    assert html.unescape(TAG_RE.sub("", highlighted_passage(passage, [], dates, "en"))) == (
        "Ils se sont parlé jeudi (3 July 2025). Le dernier appel remontait au 14 juin (14 June 2025).")


def test_readable_dates():
    from ui.render import readable_date

    assert readable_date("2025-07-03") == "3 July 2025"
    assert readable_date("2025-07-03T10:00:00+00:00", "fr") == "3 juillet 2025"
    assert readable_date("2025-06") == "June 2025"
    assert readable_date("2025-W27", "fr") == "semaine 27 de 2025"
    assert readable_date("2025") == "2025"
    assert readable_date("2025-06-28/2025-06-29", "fr") == "28–29 juin 2025"
    assert readable_date("2025-06-28/2025-07-03") == "28 June – 3 July 2025"
    # whole months and whole years
    assert readable_date("2025-03-01/2025-05-31") == "March – May 2025"
    assert readable_date("2024-11-01/2025-02-28", "fr") == "novembre 2024 – février 2025"
    assert readable_date("2024-02-01/2024-02-29") == "February 2024"
    assert readable_date("1990-01-01/1999-12-31") == "1990–1999" and readable_date("2024-01-01/2024-12-31") == "2024"
    assert readable_date("2024-02-01/2024-02-28") == "1–28 February 2024"  # not the whole month in 2024
    assert readable_date("2024-11-01/2025-02-28") == "November 2024 – February 2025"
    assert readable_date("2025-03/2025-05") == "March 2025 – May 2025"


def test_card_shows_the_article_date_or_says_it_has_none():
    card = {"n": 1, "title": "T", "source": "S", "url": "", "passage": "p", "highlight": []}
    assert "S · 3 July 2025" in source_card(card | {"published": "2025-07-03"}, 0, "en")
    assert "S · sans date" in source_card(card | {"published": ""}, 0, "fr")
