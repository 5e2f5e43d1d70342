"""Time expressions in French and English text ("jeudi", "le 14 juin", "last month"), found and
resolved against a reference date: an article's publication date, or the date a question is
asked as of.

A small vocabulary locates the phrases (weekday and month names, "hier", "last week", "il y a
3 jours"…); dateparser computes what each one means relative to the reference date, and its
period (day, week, month, year) gives the value's precision: ``2025-07-03``, ``2025-W26``,
``2025-06`` or ``2025``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

_WEEKDAYS = {
    "en": "monday tuesday wednesday thursday friday saturday sunday".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
}
_MONTHS = {
    "en": "january february march april may june july august september october november december".split(),
    "fr": "janvier février fevrier mars avril mai juin juillet août aout septembre octobre novembre décembre decembre".split(),
}
_NUMBERS = {
    "en": "one two three four five six seven eight nine ten".split(),
    "fr": "un une deux trois quatre cinq six sept huit neuf dix".split(),
}


def _alt(words) -> str:
    return "|".join(sorted(set(words), key=len, reverse=True))


def _patterns(lang: str) -> list[tuple[str, re.Pattern]]:
    """``(kind, pattern)`` pairs, most specific first; ``kind`` tells how the phrase is resolved."""
    wd, mo, num = _alt(_WEEKDAYS[lang]), _alt(_MONTHS[lang]), _alt(_NUMBERS[lang])
    year = r"(?:19|20)\d\d"
    if lang == "en":
        table = [
            ("date", rf"(?:{mo})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+{year})?(?!\d)"),
            ("date", rf"(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{mo})(?:,?\s+{year})?(?!\d)"),
            ("month", rf"(?:{mo})\s+{year}"),
            ("month", rf"(?:in|since|early|late|until|during)\s+(?P<p>(?:{mo}))(?![-\w])"),
            ("year", rf"(?:in|since|during|until)\s+(?P<p>{year})(?!\d)"),
            ("relative", r"(?:this|last|past|previous)\s+(?:week|month|year)"),
            ("relative", rf"(?:\d{{1,2}}|{num}|a)\s+(?:days?|weeks?|months?|years?)\s+ago"),
            ("relative", r"the\s+day\s+before\s+yesterday|yesterday|today|tonight"),
            ("weekday_last", rf"last\s+(?:{wd})"),
            ("weekday", rf"(?:{wd})(?:'s)?"),
        ]
    else:
        table = [
            ("date", rf"(?:le\s+)?(?:1er|\d{{1,2}})\s+(?:{mo})(?:\s+{year})?(?!\d)"),
            ("month", rf"(?:{mo})\s+{year}"),
            ("month", rf"(?:en|depuis|début|fin|jusqu'en|mois\s+d[e'’])\s*(?P<p>(?:{mo}))(?![-\w])"),
            ("year", rf"(?:en|depuis|jusqu'en)\s+(?P<p>{year})(?!\d)"),
            ("relative", r"(?:cette|la)\s+semaine(?:\s+(?:dernière|passée))?|(?:ce|le)\s+mois(?:-ci|\s+dernier|\s+passé)?"
                         r"|cette\s+année|l['’]année\s+(?:dernière|passée)|l['’]an\s+(?:dernier|passé)"),
            ("relative", rf"il\s+y\s+a\s+(?:\d{{1,2}}|{num})\s+(?:jours?|semaines?|mois|ans?|années?)"),
            ("relative", r"avant-hier|hier|aujourd['’]hui|ce\s+soir"),
            ("weekday_last", rf"(?:{wd})\s+(?:dernier|passé)"),
            ("weekday", rf"(?:{wd})"),
        ]
    return [(kind, re.compile(rf"(?<![\w-])(?:{p})(?![\w])", re.I)) for kind, p in table]


@lru_cache(maxsize=2)
def _compiled(lang: str) -> list[tuple[str, re.Pattern]]:
    return _patterns(lang)


@dataclass(frozen=True)
class TimeExpression:
    """A phrase of a text meaning a date or a period: ``start``/``end`` are offsets in the text,
    ``first``/``last`` the days the period spans, ``value`` its ISO form at its precision."""

    text: str
    start: int
    end: int
    value: str
    period: str  # "day", "week", "month" or "year"
    first: date
    last: date
    lang: str

    def to_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end, "value": self.value}


def period_bounds(day: date, period: str) -> tuple[date, date]:
    """The first and last day of the ``period`` (day, week from Monday, month, year) holding ``day``."""
    if period == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if period == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return first, nxt - timedelta(days=1)
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


def iso_value(day: date, period: str) -> str:
    """``2025-07-03`` (day), ``2025-W27`` (ISO week), ``2025-07`` (month) or ``2025`` (year)."""
    if period == "week":
        y, w, _ = day.isocalendar()
        return f"{y}-W{w:02d}"
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if period == "year":
        return f"{day.year:04d}"
    return day.isoformat()


@lru_cache(maxsize=256)
def _parser(lang: str, base: date):
    """A dateparser parser for ``lang`` whose relative dates count from noon of ``base``."""
    from dateparser.date import DateDataParser

    settings = {"RELATIVE_BASE": datetime(base.year, base.month, base.day, 12), "PREFER_DATES_FROM": "past",
                "RETURN_TIME_AS_PERIOD": True, "PREFER_DAY_OF_MONTH": "first"}
    return DateDataParser(languages=[lang], settings=settings)


def parse_phrase(phrase: str, base: date, lang: str) -> tuple[date, str] | None:
    """(day, period) of a time phrase relative to ``base`` (past dates preferred), or None."""
    try:
        data = _parser(lang, base).get_date_data(phrase)
    except (ValueError, OverflowError, TypeError):
        return None
    if data is None or data.date_obj is None:
        return None
    period = data.period if data.period in ("day", "week", "month", "year") else "day"
    return data.date_obj.date(), period


def _clean(phrase: str, kind: str, lang: str) -> str:
    """The part of a matched phrase dateparser reads best (articles and possessives removed)."""
    phrase = " ".join(phrase.split())
    if kind == "weekday":
        return re.sub(r"'s$", "", phrase)
    if kind == "weekday_last":
        return phrase.split()[1] if lang == "en" else phrase.split()[0]
    if kind == "date":
        phrase = re.sub(r"^(?:le|the)\s+", "", phrase, flags=re.I)
        phrase = re.sub(r"\bof\s+", "", phrase, flags=re.I)
        return re.sub(r"\b1er\b", "1", phrase)
    return phrase


_MONTH_NUMBER = {m: i + 1 for i, m in enumerate(_MONTHS["en"])}
_MONTH_NUMBER.update({"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
                      "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
                      "décembre": 12, "decembre": 12})
_WEEKDAY_NUMBER = {d: i for ds in _WEEKDAYS.values() for i, d in enumerate(ds)}
_RELATIVE_DAYS = {"today": 0, "tonight": 0, "aujourd'hui": 0, "aujourd’hui": 0, "ce soir": 0, "yesterday": 1,
                  "hier": 1, "the day before yesterday": 2, "avant-hier": 2}
_DAYS_AGO_RE = re.compile(r"^(?:il y a\s+)?(\d{1,2})\s+(?:days?|jours?)(?:\s+ago)?$")


def _latest_on_or_before(base: date, month: int, day: int) -> date | None:
    """The latest ``day`` of ``month`` not after ``base`` (this year's, else last year's)."""
    for year in (base.year, base.year - 1):
        try:
            d = date(year, month, day)
        except ValueError:
            return None
        if d <= base:
            return d
    return None


def _quick(text: str, kind: str, base: date) -> tuple[date, str] | None:
    """The common phrases computed directly, as dateparser would (past dates preferred), without
    its cost (seconds on first use, tens of milliseconds a phrase after); None for the others."""
    low = " ".join(text.lower().replace(",", " ").split())
    if kind in ("weekday", "weekday_last"):
        wd = _WEEKDAY_NUMBER.get(low)
        if wd is None:
            return None
        back = (base.weekday() - wd) % 7 or (7 if kind == "weekday_last" else 0)
        return base - timedelta(days=back), "day"
    if kind == "relative":
        if low in _RELATIVE_DAYS:
            return base - timedelta(days=_RELATIVE_DAYS[low]), "day"
        m = _DAYS_AGO_RE.match(low)
        return (base - timedelta(days=int(m.group(1))), "day") if m else None
    tokens = low.split()
    months = [_MONTH_NUMBER[t.rstrip(".")] for t in tokens if t.rstrip(".") in _MONTH_NUMBER]
    years = [int(t) for t in tokens if re.fullmatch(r"(?:19|20)\d\d", t)]
    days = [int(re.sub(r"(st|nd|rd|th)$", "", t)) for t in tokens if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", t)]
    if kind == "year" and len(years) == 1 and not months:
        return date(years[0], 1, 1), "year"
    if kind == "month" and len(months) == 1 and not days and len(years) <= 1:
        got = date(years[0], months[0], 1) if years else _latest_on_or_before(base, months[0], 1)
        return (got, "month") if got else None
    if kind == "date" and len(months) == 1 and len(days) == 1 and len(years) <= 1:
        try:
            got = date(years[0], months[0], days[0]) if years else _latest_on_or_before(base, months[0], days[0])
        except ValueError:
            return None
        return (got, "day") if got else None
    return None


def resolve(phrase: str, kind: str, base: date, lang: str) -> tuple[date, str] | None:
    """What a matched phrase means relative to ``base``.

    A bare weekday in a news article is the most recent such day up to the publication day
    itself ("jeudi" in Thursday's paper is that Thursday); "last Thursday" / "jeudi dernier"
    is the one before.
    """
    text = _clean(phrase, kind, lang)
    quick = _quick(text, kind, base)
    if quick is not None:
        return quick
    return _resolve_slowly(text, kind, base, lang)


def _resolve_slowly(text: str, kind: str, base: date, lang: str) -> tuple[date, str] | None:
    """:func:`resolve` by dateparser."""
    if kind == "weekday":
        got = parse_phrase(text, base + timedelta(days=1), lang)
        return (got[0], "day") if got else None
    if kind == "weekday_last":
        got = parse_phrase(text, base, lang)
        return (got[0], "day") if got else None
    got = parse_phrase(text, base, lang)
    if got and kind == "month":
        return got[0], "month"
    if got and kind == "year":
        return got[0], "year"
    return got


_AGO_RE = re.compile(r"\b(semaine|week|mois|month|an|ann[ée]e|year)s?\s+ago\b|\bil\s+y\s+a\s+\S+\s+(semaine|mois|an|ann[ée]e)s?\b", re.I)
_AGO_PERIODS = {"semaine": "week", "week": "week", "mois": "month", "month": "month", "an": "year", "annee": "year",
                "année": "year", "year": "year"}


def _ago_unit(phrase: str) -> str:
    """The unit of "three weeks ago" / "il y a deux ans" ("" for days): "47 years ago" means that
    year, not one day of it."""
    m = _AGO_RE.search(phrase)
    return (m.group(1) or m.group(2)).lower() if m else ""


def find_time_expressions(text: str, base: date | None, langs: tuple[str, ...] = ("fr", "en")) -> list[TimeExpression]:
    """Every time phrase of ``text`` in one of ``langs``, resolved against ``base``, in text order.

    Without a ``base`` (an undated article) only phrases that name their year are resolved.
    Overlapping matches keep the longest.
    """
    spans: list[tuple[int, int, str, str]] = []
    for lang in langs:
        for kind, pattern in _compiled(lang):
            for m in pattern.finditer(text):
                g = "p" if "p" in pattern.groupindex else 0  # a preposition may only be context
                spans.append((m.start(g), m.end(g), kind, lang))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[TimeExpression] = []
    taken_until = -1
    for start, end, kind, lang in spans:
        if start < taken_until:
            continue
        phrase = text[start:end]
        if base is None and not re.search(r"(?:19|20)\d\d", phrase):
            continue
        got = resolve(phrase, kind, base or date(2000, 1, 1), lang)
        if got is None:
            continue
        day, period = got
        period = _AGO_PERIODS.get(_ago_unit(phrase), period) if kind == "relative" else period
        first, last = period_bounds(day, period)
        out.append(TimeExpression(phrase, start, end, iso_value(day, period), period, first, last, lang))
        taken_until = end
    return out


def resolve_dates(text: str, published: str, lang: str = "") -> list[TimeExpression]:
    """The time phrases of an article passage resolved against the article's publication date
    (ISO date or datetime; "" for an undated article)."""
    base = published_date(published)
    langs = (lang,) if lang in _WEEKDAYS else ("fr", "en")
    return find_time_expressions(text, base, langs)


def published_date(published: str) -> date | None:
    """The calendar day of an ISO date or datetime, or None when empty or unreadable."""
    if not published:
        return None
    try:
        return datetime.fromisoformat(published).date()
    except ValueError:
        try:
            return date.fromisoformat(published[:10])
        except ValueError:
            return None
