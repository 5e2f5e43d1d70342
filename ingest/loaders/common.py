"""Pieces every loader shares: reading text safely, ids, dates and finishing an article."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

from ..errors import InputError
from ..language import detect_language
from ..model import Article


def read_text_file(path: str) -> str:
    """UTF-8 text of a file; binary or mis-encoded content is an :class:`InputError`."""
    data = Path(path).read_bytes()
    return decode_text(path, data)


def decode_text(source: str, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise InputError(source, "binary content, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(source, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at {exc.start})") from None
    if not text.strip():
        raise InputError(source, "no text (only whitespace)")
    return text


def stable_id(*parts: str) -> str:
    """Short id derived from the article's origin (path, URL, record id), stable across edits."""
    return "a" + hashlib.sha1("\x00".join(parts).encode("utf-8")).hexdigest()[:15]


def parse_date(value) -> str:
    """ISO 8601 date(time) from a string, a datetime or a time.struct_time; "" if unparsable or
    outside the years 1000–2999 (:data:`ingest.dates.EARLIEST`, :data:`~ingest.dates.LATEST`).

    A string must name its year, month and day ("2025", "July 2025" or "12" would otherwise be
    completed with today's, and an article would pass for new); French or English written dates
    ("3 juillet 2025", "jeudi 3 juillet 2025") are read by :mod:`ingest.dates`."""
    if not value:
        return ""
    dt: datetime | None
    if isinstance(value, datetime):
        dt = value
    elif hasattr(value, "tm_year"):  # feedparser's *_parsed dates are UTC
        year, month, day, hour, minute, second = value[:6]
        dt = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    else:
        dt = _whole_date(str(value).strip())
    if dt is None:
        return ""
    from ..dates import in_range

    if not in_range(dt.date()):  # 9999-12-31, 0001-01-01: no room for date arithmetic; left undated
        return ""
    if dt.hour == dt.minute == dt.second == 0 and dt.tzinfo is None:
        return dt.date().isoformat()
    return dt.isoformat()


def _whole_date(text: str) -> datetime | None:
    """The date and time ``text`` names in full, or None (a part missing, or no date at all)."""
    from dateutil import parser

    try:  # parsed twice with different defaults: a part taken from the default differs
        a = parser.parse(text, default=datetime(2001, 1, 1))
        b = parser.parse(text, default=datetime(2002, 2, 2))
    except (ValueError, OverflowError, TypeError):
        a = b = None
    if a is not None and a.date() == b.date():
        return a
    from ..dates import find_time_expressions

    found = find_time_expressions(text, None)
    if len(found) == 1 and found[0].period == "day" and len(found[0].text) >= len(text.rstrip(". ")) - 1:
        return datetime.combine(found[0].first, datetime.min.time())
    return None


def paragraphs_from_lines(text: str, title: str = "") -> str:
    """Extracted page text (one paragraph a line, as trafilatura gives it) with blank lines between
    paragraphs, so the chunker sees them; a first line repeating the title is left out."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > 1 and title and " ".join(lines[0].split()) == " ".join(title.split()):
        lines = lines[1:]
    return "\n\n".join(lines)


def normalise_text(text: str) -> str:
    """Unix newlines and no trailing spaces; offsets are into this form of the text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def make_article(*, id: str, title: str, text: str, source: str, url: str = "", published="",
                 lang: str = "", author: str = "") -> Article:
    """An :class:`Article` with normalised text, an ISO date, a detected language and a content hash."""
    text = normalise_text(text)
    title = " ".join((title or "").split())
    if not text.strip():
        raise InputError(source, "article has no text")
    published = parse_date(published)
    lang = (lang or "").lower()[:2] or detect_language(text)
    h = hashlib.sha1("\x00".join([title, text, source, url, published, lang, author]).encode("utf-8")).hexdigest()
    return Article(id=id, title=title or text.split("\n", 1)[0][:120], text=text, source=source, url=url,
                   published=published, lang=lang, author=author or "", content_hash=h)
