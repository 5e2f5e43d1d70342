"""Turns answers into HTML for the web chat; every string from an article is escaped here.

Article titles, passages, outlets and URLs are untrusted: they are only ever inserted as
escaped text, and a URL becomes a link only when it is http(s).
"""
from __future__ import annotations

import html
import re
from urllib.parse import urlparse

from bot.answer_types import MARKER_RE

from .labels import label


def safe_url(url: str) -> str:
    """``url`` when it is an absolute http(s) URL, else ""."""
    try:
        u = urlparse((url or "").strip())
    except ValueError:
        return ""
    return url.strip() if u.scheme in ("http", "https") and u.netloc else ""


_MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
}
_WEEK = {"en": "week {w} of {y}", "fr": "semaine {w} de {y}"}


def readable_date(value: str, lang: str = "en") -> str:
    """``2025-07-03`` as "3 July 2025" ("3 juillet 2025"), ``2025-06`` as "June 2025",
    ``2025-W27`` as "week 27 of 2025", ``2025`` as is, an interval ``2025-06-28/2025-06-29`` as
    "28–29 June 2025" (``2025-06-28/2025-07-03``: "28 June – 3 July 2025"); whole months and
    whole years as such (``2025-03-01/2025-05-31``: "March – May 2025", ``1990-01-01/1999-12-31``:
    "1990–1999"); anything else unchanged."""
    if "/" in (value or ""):
        first, _, last = value.partition("/")
        whole = _whole_months(first, last)
        if whole:
            return _readable_months(*whole, lang)
        a, b = readable_date(first, lang), readable_date(last, lang)
        if len(first) == len(last) == 10 and first[:4] == last[:4]:  # two days of one year: say it once
            a = a.rsplit(" ", 1)[0]
            if first[:7] == last[:7]:
                a = a.split(" ", 1)[0]
                return f"{a}–{b}"
        return f"{a} – {b}"
    months = _MONTHS.get(lang, _MONTHS["en"])
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ].*)?", value or "")
    if m and 1 <= int(m.group(2)) <= 12:
        month = months[int(m.group(2)) - 1]
        return f"{int(m.group(3))} {month} {m.group(1)}" if m.group(3) else f"{month} {m.group(1)}"
    w = re.fullmatch(r"(\d{4})-W(\d{2})", value or "")
    if w:
        return _WEEK.get(lang, _WEEK["en"]).format(w=int(w.group(2)), y=w.group(1))
    return value or ""


def _whole_months(first: str, last: str) -> tuple[str, str] | None:
    """``("YYYY-MM", "YYYY-MM")`` when the days ``first``..``last`` are whole months, else None."""
    import calendar

    m1, m2 = re.fullmatch(r"(\d{4})-(\d{2})-01", first), re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", last)
    if not (m1 and m2 and 1 <= int(m2.group(2)) <= 12):
        return None
    if int(m2.group(3)) != calendar.monthrange(int(m2.group(1)), int(m2.group(2)))[1]:
        return None
    return first[:7], last[:7]


def _readable_months(first: str, last: str, lang: str) -> str:
    """"March – May 2025", "November 2024 – February 2025", "1990–1999", "2024", "June 2025"."""
    if first.endswith("-01") and last.endswith("-12"):
        return first[:4] if first[:4] == last[:4] else f"{first[:4]}–{last[:4]}"
    a, b = readable_date(first, lang), readable_date(last, lang)
    if first == last:
        return a
    if first[:4] == last[:4]:
        a = a.rsplit(" ", 1)[0]
    return f"{a} – {b}"


def _words(text: str) -> set[str]:
    """Lower-case words of ``text``, numbers without leading zeros ("03" and "3" are one)."""
    return {w.lstrip("0") or "0" if w.isdigit() else w for w in re.findall(r"\w+", text.lower())}


def _says_date(phrase: str, value: str) -> bool:
    """Whether ``phrase`` already writes out the date ``value`` ("26 July 2024", "1955", "juillet
    2025"), in English or French, so that a note would only repeat it."""
    words = _words(phrase)
    return any(_words(readable_date(value, lang)) <= words for lang in _MONTHS)


def date_notes(passage: str, dates: list[dict] | None, lang: str = "en") -> dict[int, str]:
    """``{offset: readable date}``: one note per date of the passage, after the first phrase that
    names it (phrases of one date side by side, "Friday 26 July", count as one), and none for a
    date the passage writes out somewhere ("26 July 2024", "in 1955")."""
    phrases = sorted((int(d.get("start", int(d.get("end", -1)) - len(d.get("text", "")))), int(d.get("end", -1)),
                      str(d.get("value") or "")) for d in dates or [])
    groups: list[list] = []  # [start, end, value], in passage order
    for start, end, value in phrases:
        if not (0 <= start < end <= len(passage)) or not value:
            continue
        if groups and groups[-1][2] == value and re.fullmatch(r"[\s,]*", passage[groups[-1][1]:start]):
            groups[-1][1] = end
        else:
            groups.append([start, end, value])
    said = {value for start, end, value in groups if _says_date(passage[start:end], value)}
    notes: dict[int, str] = {}
    for _start, end, value in groups:
        if value not in said and end not in notes:
            notes[end] = readable_date(value, lang)
            said.add(value)
    return notes


def highlighted_passage(passage: str, spans: list[list[int]], dates: list[dict] | None = None, lang: str = "en") -> str:
    """The passage escaped, each highlight span wrapped in one ``<mark>`` (a date note inside a
    highlight stays inside it) and each date the passage does not write out noted once after the
    phrase naming it: "jeudi<span class="nb-date"> (3 July 2025)</span>"."""
    notes = date_notes(passage, dates, lang)
    marked = [(max(0, int(a)), min(len(passage), int(b))) for a, b in spans or []]
    cuts = sorted({0, len(passage), *notes, *(x for sp in marked for x in sp if 0 <= x <= len(passage))})
    pieces = list(zip(cuts, cuts[1:]))
    inside = [any(a <= s and e <= b for a, b in marked) for s, e in pieces]
    out, in_mark = [], False
    for i, (s, e) in enumerate(pieces):
        if inside[i] != in_mark:
            out.append('<mark class="nb-hl">' if inside[i] else "</mark>")
            in_mark = inside[i]
        out.append(html.escape(passage[s:e]))
        if e in notes:
            if in_mark and not (i + 1 < len(pieces) and inside[i + 1]):
                out.append("</mark>")  # a highlight ending with the phrase: the note after it
                in_mark = False
            out.append(f'<span class="nb-date"> ({html.escape(notes[e])})</span>')
    if in_mark:
        out.append("</mark>")
    return "".join(out)


def answer_text(text: str, turn: int, numbers: set[int], short: str = "") -> str:
    """The answer escaped, each known ``[n]`` marker turned into a link to its source card; the
    short answer the text opens with, if any, in bold."""

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in numbers:
            return m.group(0)
        return (f'<a class="nb-cite" href="#nb-src-{turn}-{n}" data-target="nb-src-{turn}-{n}" '
                f'role="button">[{n}]</a>')

    if short and text.startswith(short):
        lead = f'<strong class="nb-short">{html.escape(short)}</strong>'
        return lead + MARKER_RE.sub(link, html.escape(text[len(short):]))
    return MARKER_RE.sub(link, html.escape(text))


def short_answer_html(answer: dict, lang: str) -> str:
    """The short answer (``short_answer``), set apart above the quote, with the date it names
    (``short_date``, for a "when" question) unless it already says it; "" when there is none."""
    short = "" if answer.get("refused") else answer.get("short_answer", "")
    if not short:
        return ""
    when = readable_date(answer.get("short_date", ""), lang)
    date = (f' <span class="nb-short-date">({html.escape(when)})</span>'
            if when and when.casefold() not in short.casefold() else "")
    return f'<div class="nb-short-answer"><strong class="nb-short">{html.escape(short)}</strong>{date}</div>'


def source_card(c: dict, turn: int, lang: str) -> str:
    n = int(c.get("n", 0))
    title = html.escape(c.get("title") or label(lang, "untitled"))
    url = safe_url(c.get("url", ""))
    heading = (f'<a class="nb-title" href="{html.escape(url)}" target="_blank" rel="noopener noreferrer nofollow">'
               f'{title}</a>' if url else f'<span class="nb-title">{title}</span>')
    published = readable_date((c.get("published") or "")[:10], lang) or label(lang, "undated")
    meta = " · ".join(html.escape(x) for x in (c.get("source", ""), published) if x)
    return (f'<li class="nb-card" id="nb-src-{turn}-{n}" tabindex="-1">'
            f'<div class="nb-card-head"><span class="nb-num">[{n}]</span> {heading}</div>'
            f'<div class="nb-meta">{meta}</div>'
            f'<blockquote class="nb-passage">{highlighted_passage(c.get("passage", ""), c.get("highlight", []), c.get("dates"), lang)}</blockquote>'
            f'</li>')


def turn_html(question: str, answer: dict | None, turn: int, lang: str, partial: str = "") -> str:
    """One question and its answer (``answer`` None while it streams: ``partial`` is shown)."""
    parts = [f'<div class="nb-turn" data-turn="{turn}">',
             f'<div class="nb-q"><span class="nb-who">{html.escape(label(lang, "you"))}</span>{html.escape(question)}</div>']
    if answer is None:
        parts.append(f'<div class="nb-a nb-streaming">{html.escape(partial)}<span class="nb-caret">▍</span></div>')
    else:
        cits = answer.get("citations", [])
        numbers = {int(c.get("n", 0)) for c in cits}
        cls = "nb-a nb-refused" if answer.get("refused") else "nb-a"
        parts.append(short_answer_html(answer, lang))
        parts.append(f'<div class="{cls}">{answer_text(answer.get("answer", ""), turn, numbers, answer.get("short_answer", ""))}</div>')
        if answer.get("notice"):
            parts.append(f'<div class="nb-notice">{html.escape(answer["notice"])}</div>')
        if cits:
            parts.append(f'<div class="nb-sources-label">{html.escape(label(lang, "sources"))}</div>')
            parts.append('<ol class="nb-sources">' + "".join(source_card(c, turn, lang) for c in cits) + "</ol>")
    parts.append("</div>")
    return "".join(parts)


def transcript_html(turns: list[dict], lang: str, pending: tuple[str, str] | None = None, error: str = "") -> str:
    """The whole conversation; ``pending`` is (question, text so far) of a streaming answer;
    ``error`` why the question just sent was not answered, shown once, where its answer would be."""
    body = [turn_html(t["question"], t["answer"], i, lang) for i, t in enumerate(turns)]
    if pending is not None:
        body.append(turn_html(pending[0], None, len(turns), lang, partial=pending[1]))
    if error:
        body.append(f'<div class="nb-error" role="alert">{html.escape(error)}</div>')
    if not body:
        body.append(f'<div class="nb-empty">{html.escape(label(lang, "empty"))}</div>')
    return '<div class="nb-transcript">' + "".join(body) + "</div>"
