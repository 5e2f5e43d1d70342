"""Time expressions in French and English text ("jeudi", "le 14 juin", "last month"), found and
resolved against a reference date: an article's publication date, or the date a question is
asked as of.

A small vocabulary locates the phrases (weekday and month names, "hier", "last week", "il y a
3 jours"…); dateparser computes what each one means relative to the reference date, and its
period (day, week, month, year) gives the value's precision: ``2025-07-03``, ``2025-W26``,
``2025-06`` or ``2025``. Phrases naming several days ("this weekend", "between March and May",
"the past 3 days", "depuis trois mois") are computed here and valued as ISO intervals
(``2025-06-30/2025-07-03``); so are the calendar periods dateparser does not read ("l'an
dernier", "le mois passé", "previous month"), and abbreviated months ("Sept. 24", "12 janv. 2024").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

# The days an article or a question may be dated: a date outside is not read (an article keeps no
# date, an ``as_of`` is refused), so that date arithmetic ("next week" of 9999-12-31) always has
# room and answering never fails on a hostile date.
EARLIEST = date(1000, 1, 1)
LATEST = date(2999, 12, 31)


def in_range(day: date) -> bool:
    """Whether ``day`` lies between :data:`EARLIEST` and :data:`LATEST`."""
    return EARLIEST <= day <= LATEST


_WEEKDAYS = {
    "en": "monday tuesday wednesday thursday friday saturday sunday".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
}
_MONTHS = {
    "en": "january february march april may june july august september october november december".split(),
    "fr": "janvier février fevrier mars avril mai juin juillet août aout septembre octobre novembre décembre decembre".split(),
}
# Abbreviated months as news write them before a day or a year ("Sept. 24", "Jan. 7, 2024",
# "12 janv. 2024"); French ones only with their period ("sept" alone is seven).
_MONTH_ABBREVIATIONS = {
    "en": r"(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?",
    "fr": r"(?:janv|févr|fevr|avr|juil|sept|oct|nov|déc|dec)\.",
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
    mo_day = rf"{mo}|{_MONTH_ABBREVIATIONS[lang]}"  # before a day or a year, abbreviations too
    year = r"(?:19|20)\d\d"
    if lang == "en":
        count = rf"(?:\d{{1,3}}|{num})"
        table = [
            ("date", rf"(?:(?:{wd}),?\s+)?(?:{mo_day})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+{year})?(?!\d)"),
            ("date", rf"(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{mo_day})(?:,?\s+{year})?(?!\d)"),
            ("days", rf"(?:{mo_day})\.?\s+\d{{1,2}}\s*[-–]\s*\d{{1,2}}(?:,?\s+{year})?(?!\d)"
                     rf"|\d{{1,2}}\s*[-–]\s*\d{{1,2}}\s+(?:{mo_day})(?:,?\s+{year})?(?!\d)"),
            ("months", rf"(?:between|from)\s+(?:{mo})(?:\s+{year})?\s+(?:and|to|through|until)\s+(?:{mo})(?:\s+{year})?"),
            ("month", rf"(?:{mo_day})\s+{year}"),
            ("month", rf"(?:in|since|early|late|until|during)\s+(?P<p>(?:{mo}))(?![-\w])"),
            ("month", rf"mid-?(?P<p>(?:{mo}))(?![-\w])"),
            ("season", rf"(?:this|last|next|past)\s+(?:spring|summer|autumn|fall|winter)"
                       rf"|(?:the\s+)?(?:spring|summer|autumn|fall)\s+(?:of\s+)?{year}"),
            ("years", rf"(?:between|from)\s+{year}\s+(?:and|to|through|until)\s+{year}(?!\d)|{year}\s*[-–]\s*{year}(?!\d)"),
            ("decade", r"(?:the\s+)?(?:19|20)\d0['’]?s"),
            ("year", rf"(?:(?:in|since|during|until|early|late|by)\s+|mid-?\s*)(?P<p>{year})(?!\d)"),
            ("year", rf"{year}\s+(?:and|or)\s+(?P<p>{year})(?!\d)"),
            ("span", rf"(?:the\s+)?(?:past|last|previous)\s+{count}\s+(?:hours?|days?|weeks?|months?|years?)"
                     r"|(?:the\s+)?past\s+(?:week|month|year)"),
            ("relative", r"(?:this|last|previous|next)\s+(?:week|month|year)"),
            ("weekend", r"(?:this\s+past|this|last|past|over\s+the)\s+weekend"),
            ("relative", rf"(?:\d{{1,2}}|{num}|a)\s+(?:days?|weeks?|months?|years?)\s+ago"),
            ("relative", r"the\s+day\s+(?:before\s+yesterday|after\s+tomorrow)|yesterday|today|tonight|tomorrow"
                         r"|last\s+night|this\s+(?:morning|afternoon|evening)"),
            ("weekday_last", rf"last\s+(?:{wd})"),
            ("weekday_next", rf"next\s+(?:{wd})"),
            ("weekday", rf"(?:{wd})(?:'s)?"),
        ]
    else:
        count = rf"(?:\d{{1,3}}|{num})"
        table = [
            ("date", rf"(?:le\s+)?(?:(?:{wd})\s+)?(?:1er|\d{{1,2}})\s+(?:{mo_day})(?:\s+{year})?(?!\d)"),
            ("days", rf"du\s+(?:1er|\d{{1,2}})(?:\s+(?:{mo_day}))?\s+au\s+(?:1er|\d{{1,2}})\s+(?:{mo_day})(?:\s+{year})?(?!\d)"),
            ("months", rf"(?:entre|de|d['’])\s*(?:{mo})(?:\s+{year})?\s+(?:et|à|au|jusqu['’]en)\s+(?:{mo})(?:\s+{year})?"),
            ("month", rf"(?:{mo_day})\s+{year}"),
            ("month", rf"(?:en|depuis|début|fin|jusqu'en|mois\s+d[e'’])\s*(?P<p>(?:{mo}))(?![-\w])"),
            ("month", rf"mi-(?P<p>(?:{mo}))(?![-\w])"),
            ("season", r"(?:cet\s+(?:été|hiver|automne)|ce\s+printemps)"
                       r"|(?:l['’](?:été|hiver|automne)|le\s+printemps)\s+(?:dernier|passé|prochain)"
                       rf"|(?:(?:à|a)\s+l['’]|l['’]|en\s+)(?:été|automne)\s+{year}|(?:au\s+|le\s+)?printemps\s+{year}"),
            ("years", rf"(?:entre|de)\s+{year}\s+(?:et|à|au)\s+{year}(?!\d)|{year}\s*[-–]\s*{year}(?!\d)"),
            ("decade", r"les\s+années\s+(?:19|20)\d0(?!\d)"),
            ("year", rf"(?:(?:en|depuis|jusqu'en|début|fin)\s+|mi-\s*)(?P<p>{year})(?!\d)"),
            ("year", rf"{year}\s+(?:et|ou)\s+(?P<p>{year})(?!\d)"),
            ("span", rf"(?:(?:ces|les|des)\s+{count}\s+derni(?:ers|ères)|depuis\s+{count})"
                     r"\s+(?:heures|jours|semaines|mois|ans|années)"),
            ("relative", r"(?:cette|la)\s+semaine(?:\s+(?:dernière|passée|prochaine))?"
                         r"|(?:ce|le)\s+mois(?:-ci|\s+dernier|\s+passé|\s+prochain)?"
                         r"|cette\s+année|l['’]année\s+(?:dernière|passée|prochaine)|l['’]an\s+(?:dernier|passé|prochain)"),
            ("weekend", r"(?:ce|le)\s+week-end(?:\s+(?:dernier|passé))?|(?:pendant|durant)\s+le\s+week-end"),
            ("relative", rf"il\s+y\s+a\s+(?:\d{{1,2}}|{num})\s+(?:jours?|semaines?|mois|ans?|années?)"),
            ("relative", r"avant-hier|hier\s+soir|hier|aujourd['’]hui|ce\s+soir|ce\s+matin|cet\s+après-midi"
                         r"|après-demain|demain"),
            ("weekday_last", rf"(?:{wd})\s+(?:dernier|passé)"),
            ("weekday_next", rf"(?:{wd})\s+prochain"),
            ("weekday", rf"(?:{wd})"),
        ]
    return [(kind, re.compile(rf"(?<![\w-])(?:{p})(?![\w])", re.I)) for kind, p in table]


@lru_cache(maxsize=2)
def _compiled(lang: str) -> list[tuple[str, re.Pattern]]:
    return _patterns(lang)


@dataclass(frozen=True)
class TimeExpression:
    """A phrase of a text meaning a date or a period: ``start``/``end`` are offsets in the text,
    ``first``/``last`` the days the period spans, ``value`` its ISO form at its precision, or the
    ISO interval ``first/last`` for a range of days ("this weekend", "between March and May")
    and a rolling span ending on the reference day ("the past 3 days", "depuis trois mois")."""

    text: str
    start: int
    end: int
    value: str
    period: str  # "day", "week", "month", "year"; "range" (a weekend, March to May), "span" (the past 3 days)
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
    if kind in ("weekday_last", "weekday_next"):
        return phrase.split()[1] if lang == "en" else phrase.split()[0]
    if kind == "date":  # "Sunday, Jan. 7, 2024", "le jeudi 3 juillet": the weekday goes, the date tells
        phrase = re.sub(r"^(?:le|the)\s+", "", phrase, flags=re.I)
        phrase = re.sub(rf"^(?:{_alt(_WEEKDAY_NUMBER)}),?\s+", "", phrase, flags=re.I)
        phrase = re.sub(r"\bof\s+", "", phrase, flags=re.I)
        return re.sub(r"\b1er\b", "1", phrase)
    return phrase


_MONTH_NUMBER = {m: i + 1 for i, m in enumerate(_MONTHS["en"])}
_MONTH_NUMBER.update({"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
                      "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
                      "décembre": 12, "decembre": 12})
_MONTH_NUMBER.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
                      "oct": 10, "nov": 11, "dec": 12, "janv": 1, "févr": 2, "fevr": 2, "avr": 4, "juil": 7,
                      "déc": 12})
_FULL_MONTHS = frozenset(m for ms in _MONTHS.values() for m in ms)
_WEEKDAY_NUMBER = {d: i for ds in _WEEKDAYS.values() for i, d in enumerate(ds)}
_RELATIVE_DAYS = {"today": 0, "tonight": 0, "aujourd'hui": 0, "aujourd’hui": 0, "ce soir": 0, "yesterday": 1,
                  "hier": 1, "the day before yesterday": 2, "avant-hier": 2, "this morning": 0,
                  "this afternoon": 0, "this evening": 0, "ce matin": 0, "cet après-midi": 0, "last night": 1,
                  "hier soir": 1, "tomorrow": -1, "demain": -1, "the day after tomorrow": -2, "après-demain": -2}
_DAYS_AGO_RE = re.compile(r"^(?:il y a\s+)?(\d{1,2})\s+(?:days?|jours?)(?:\s+ago)?$")
# "this/last/next week", "le mois dernier", "l'an prochain": a calendar period, this one, the one
# before or the one after.
_PERIOD_RE = re.compile(r"^(?:(?P<this>this|cette|ce)|(?P<next>next)|last|previous|la|le|l['’])\s*"
                        r"(?P<unit>week|month|year|semaine|mois|année|an)(?:-ci)?"
                        r"(?:\s+(?P<before>dernière|dernier|passée|passé)|\s+(?P<after>prochaine|prochain))?$")
_PERIOD_UNITS = {"week": "week", "semaine": "week", "month": "month", "mois": "month", "year": "year",
                 "année": "year", "an": "year"}


def _shift_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (the 31st becomes the month's last day)."""
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    first = date(y, m + 1, 1)
    last = period_bounds(first, "month")[1]
    return first.replace(day=min(day.day, last.day))


_UNITS_AGO_RE = re.compile(r"^(?:il y a\s+)?(?P<n>\d{1,2}|[a-z]+)\s+(?P<unit>week|semaine|month|mois|year|an|année)s?"
                           r"(?:\s+ago)?$")


_UNITS = {"hour": "hour", "heure": "hour", "day": "day", "jour": "day", "week": "week", "semaine": "week",
          "month": "month", "mois": "month", "year": "year", "an": "year", "année": "year"}


def _before(base: date, n: int, unit: str) -> date:
    """``base`` less ``n`` days, weeks, months or years (calendar months and years)."""
    if unit in ("day", "week"):
        return base - timedelta(days=n * (7 if unit == "week" else 1))
    return _shift_months(base, -n * (12 if unit == "year" else 1))


def _units_ago(low: str, base: date) -> tuple[date, str] | None:
    """"three weeks ago", "a year ago", "il y a deux mois": that day, and the period it names."""
    m = _UNITS_AGO_RE.match(low)
    if not m:
        return None
    n = int(m.group("n")) if m.group("n").isdigit() else _COUNT_WORDS.get(m.group("n"), 1 if m.group("n") == "a" else 0)
    if n <= 0:
        return None
    unit = _UNITS[m.group("unit")]
    return _before(base, n, unit), unit


def _calendar_period(low: str, base: date) -> tuple[date, str] | None:
    """A day of the period "this week" … "l'an dernier" names, and that period; None for a bare
    "la semaine" / "le mois", which name no particular one."""
    m = _PERIOD_RE.match(low)
    if not m:
        return None
    if m.group("this"):
        back = 0 if not (m.group("before") or m.group("after")) else None
    elif m.group("next") or m.group("after"):
        back = -1
    else:
        back = 1 if m.group("before") or low.startswith(("last", "previous")) else None
    if back is None:
        return None
    period = _PERIOD_UNITS[m.group("unit")]
    if period == "week":
        return base - timedelta(days=7 * back), "week"
    if period == "month":
        return _shift_months(base.replace(day=1), -back), "month"
    return date(base.year - back, 1, 1), "year"


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
    if kind in ("weekday", "weekday_last", "weekday_next"):
        wd = _WEEKDAY_NUMBER.get(low)
        if wd is None:
            return None
        if kind == "weekday_next":  # "next Monday", "lundi prochain": the first one after base
            return base + timedelta(days=(wd - base.weekday()) % 7 or 7), "day"
        back = (base.weekday() - wd) % 7 or (7 if kind == "weekday_last" else 0)
        return base - timedelta(days=back), "day"
    if kind == "relative":
        if low in _RELATIVE_DAYS:
            return base - timedelta(days=_RELATIVE_DAYS[low]), "day"
        m = _DAYS_AGO_RE.match(low)
        if m:
            return base - timedelta(days=int(m.group(1))), "day"
        return _units_ago(low, base) or _calendar_period(low, base)
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


def resolve(phrase: str, kind: str, base: date, lang: str, nearest: bool = False) -> tuple[date, str] | None:
    """What a matched phrase means relative to ``base``.

    A bare weekday in a news article is the most recent such day up to the publication day
    itself ("jeudi" in Thursday's paper is that Thursday); "last Thursday" / "jeudi dernier"
    is the one before, "next Thursday" / "jeudi prochain" the one after. A day and month without
    a year is the latest one up to ``base``, or with ``nearest`` the one closest to it (see
    :func:`_year_of_day`).
    """
    text = _clean(phrase, kind, lang)
    quick = _quick(text, kind, base)
    if quick is not None:
        if kind == "date" and not re.search(r"(?:19|20)\d\d", text):
            return _year_of_day(phrase, quick[0], base, nearest), "day"
        return quick
    return _resolve_slowly(text, kind, base, lang)


_LEADING_WEEKDAY_RE = re.compile(rf"^(?:le\s+|the\s+)?({_alt(_WEEKDAY_NUMBER)})\b", re.I)


def _year_of_day(phrase: str, day: date, base: date, nearest: bool) -> date:
    """The year of a day named without one ("Feb. 3", "Thursday, Feb. 8", "le jeudi 3 juillet").

    A weekday named with it picks a year where the day falls on that weekday (of the year
    before ``base``, its year and the next). Otherwise, and among those, it is the latest
    occurrence up to ``base``; with ``nearest`` (an article, which announces what is coming as
    often as it reports) the occurrence closest to ``base``: "le 4 juillet" in a paper of 3 July
    is the next day, "le 14 juin" the past June.
    """
    candidates = []
    for year in (base.year - 1, base.year, base.year + 1):
        try:
            candidates.append(day.replace(year=year))
        except ValueError:  # 29 February
            pass
    m = _LEADING_WEEKDAY_RE.match(phrase.strip())
    if m:
        same = [d for d in candidates if d.weekday() == _WEEKDAY_NUMBER[m.group(1).lower()]]
        candidates = same or candidates
    if not nearest:
        past = [d for d in candidates if d <= base]
        if past:
            return max(past)
    return min(candidates, key=lambda d: (abs((d - base).days), d > base))


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


_COUNT_WORDS = {w: i + 1 for ws in _NUMBERS.values() for i, w in enumerate(w for w in ws if w != "une")}
_COUNT_WORDS["une"] = 1
_SPAN_RE = re.compile(r"(?P<n>\d{1,3}|[a-z]+)?\s*(?:derni(?:ers|ères)\s+)?"
                      r"(?P<unit>hour|heure|day|jour|week|semaine|month|mois|year|an|année)s?$")


def _span(low: str, base: date) -> tuple[date, date] | None:
    """The days of "the past 3 days", "the last 24 hours", "the past week", "ces deux dernières
    semaines", "depuis trois mois": a rolling window ending on ``base``."""
    low = re.sub(r"^(?:the\s+)?(?:past|last|previous|ces|les|des|depuis)\s+", "", low)
    m = _SPAN_RE.search(low)
    if not m:
        return None
    n = int(m.group("n")) if (m.group("n") or "").isdigit() else _COUNT_WORDS.get(m.group("n") or "un", 0)
    if n <= 0:
        return None
    unit = _UNITS[m.group("unit")]
    if unit == "hour":
        return base - timedelta(days=max(1, -(-n // 24))), base
    return _before(base, n, unit), base


def _weekend(low: str, base: date) -> tuple[date, date] | None:
    """Saturday and Sunday of "this weekend" / "over the weekend" / "ce week-end" / "pendant le
    week-end" (in the first days of a week, the one just past; later, the coming one) or of "last
    weekend" / "this past weekend" / "le week-end dernier" (the latest one over before ``base``);
    None for a bare "le week-end"."""
    saturday = base - timedelta(days=(base.weekday() - 5) % 7)  # the latest Saturday up to base
    words = low.split()
    if words[0] in ("last", "past") or words[:2] == ["this", "past"] or low.endswith(("dernier", "passé")):
        if saturday + timedelta(days=1) >= base:  # that weekend is not over yet
            saturday -= timedelta(days=7)
    elif words[0] in ("this", "ce", "over", "pendant", "durant"):
        if 2 <= base.weekday() <= 4:  # Wednesday to Friday: the coming one
            saturday += timedelta(days=7)
    else:
        return None
    return saturday, saturday + timedelta(days=1)


def _days(low: str, base: date) -> tuple[date, date] | None:
    """The days of "July 3-5", "3–5 July 2025", "du 30 juin au 2 juillet": the last one is its latest
    occurrence up to ``base`` unless a year is named, and the first comes before it."""
    tokens = [t.strip(".,") for t in re.split(r"[\s\-–]+", low.replace("1er", "1"))]
    months = [_MONTH_NUMBER[t] for t in tokens if t in _MONTH_NUMBER]
    days = [int(t) for t in tokens if re.fullmatch(r"\d{1,2}", t)]
    years = [int(t) for t in tokens if re.fullmatch(r"(?:19|20)\d\d", t)]
    if len(days) != 2 or not 1 <= len(months) <= 2 or len(years) > 1:
        return None
    first_month, last_month = months[0], months[-1]
    try:
        latest = date(years[0], last_month, days[1]) if years else _latest_on_or_before(base, last_month, days[1])
        if latest is None:
            return None
        end: date = latest
        start: date | None = date(end.year, first_month, days[0])
    except ValueError:
        return None
    if start is not None and start > end:
        start = start.replace(year=start.year - 1) if first_month > last_month else None
    return (start, end) if start else None


def _years(low: str, base: date) -> tuple[date, date] | None:
    """The years of "between 2020 and 2023", "from 2019 to 2021", "de 2017 à 2022", "2019-2021"."""
    years = [int(y) for y in re.findall(r"(?:19|20)\d\d", low)]
    if len(years) != 2 or years[0] >= years[1]:
        return None
    return date(years[0], 1, 1), date(years[1], 12, 31)


def _decade(low: str, base: date) -> tuple[date, date] | None:
    """The ten years of "the 1990s", "les années 1980"."""
    found = re.search(r"(?:19|20)\d0", low)
    if found is None:
        return None
    first = int(found.group(0))
    return date(first, 1, 1), date(first + 9, 12, 31)


_SEASONS = {"spring": 3, "printemps": 3, "summer": 6, "été": 6, "autumn": 9, "fall": 9, "automne": 9,
            "winter": 12, "hiver": 12}  # first month of each meteorological season


def _season(low: str, base: date) -> tuple[date, date] | None:
    """The three months of "this summer", "last winter", "l'été dernier", "au printemps 2024"
    (meteorological seasons: spring from March, summer from June, autumn from September, winter
    from December). "This" season is the one of ``base``'s year (for winter, the one ``base`` is
    in, or the coming one); "last" the one a year before, "next" a year after."""
    words = re.findall(r"[a-zéè]+|\d{4}", low)
    start = next((_SEASONS[w] for w in words if w in _SEASONS), None)
    if start is None:
        return None
    years = [int(w) for w in words if w.isdigit()]
    if years:
        year = years[0]
    else:
        year = base.year - (1 if start == 12 and base.month <= 2 else 0)
        if any(w in ("last", "past", "dernier", "passé") for w in words):
            year -= 1
        elif any(w in ("next", "prochain") for w in words):
            year += 1
    first = date(year, start, 1)
    return first, period_bounds(_shift_months(first, 2), "month")[1]


def _months(low: str, base: date) -> tuple[date, date] | None:
    """From the first day of the first month to the last of the second: "between March and May",
    "de janvier à mars 2024"; the second month is its latest occurrence up to ``base`` unless a
    year is named, and the first comes before it."""
    tokens = [t.strip(".") for t in re.split(r"[\s'’]+", low)]
    months = [_MONTH_NUMBER[t] for t in tokens if t in _FULL_MONTHS]
    years = [int(t) for t in tokens if re.fullmatch(r"(?:19|20)\d\d", t)]
    if len(months) != 2:
        return None
    a, b = months
    end = date(years[-1], b, 1) if years else _latest_on_or_before(base, b, 1)
    if end is None:
        return None
    start_year = years[0] if len(years) == 2 else end.year - (1 if a > b else 0)
    return date(start_year, a, 1), period_bounds(end, "month")[1]


_AGO_RE = re.compile(r"\b(semaine|week|mois|month|an|ann[ée]e|year)s?\s+ago\b|\bil\s+y\s+a\s+\S+\s+(semaine|mois|an|ann[ée]e)s?\b", re.I)
_AGO_PERIODS = {"semaine": "week", "week": "week", "mois": "month", "month": "month", "an": "year", "annee": "year",
                "année": "year", "year": "year"}


def _ago_unit(phrase: str) -> str:
    """The unit of "three weeks ago" / "il y a deux ans" ("" for days): "47 years ago" means that
    year, not one day of it."""
    m = _AGO_RE.search(phrase)
    return (m.group(1) or m.group(2)).lower() if m else ""


def find_time_expressions(text: str, base: date | None, langs: tuple[str, ...] = ("fr", "en"),
                          nearest: bool = False) -> list[TimeExpression]:
    """Every time phrase of ``text`` in one of ``langs``, resolved against ``base``, in text order.

    Without a ``base`` (an undated article) only phrases that name their year are resolved.
    Overlapping matches keep the longest. ``nearest``: a day named without its year is the one
    closest to ``base``, not the latest up to it (articles; questions keep the past).
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
        if phrase.lower() == "today" and _masthead(text[max(0, start - 20):start], phrase):
            continue
        try:
            found = _expression(phrase, start, end, kind, lang, base or date(2000, 1, 1), nearest)
        except (OverflowError, ValueError):  # beyond the calendar (a base near year 1 or 9999)
            found = None
        if found is not None and in_range(found.first) and in_range(found.last):
            out.append(found)
            taken_until = end
    return out


def _expression(phrase: str, start: int, end: int, kind: str, lang: str, base: date,
                nearest: bool) -> TimeExpression | None:
    """One matched phrase resolved against ``base`` (None when it means nothing there)."""
    if kind in _INTERVALS:
        low = " ".join(phrase.lower().replace(",", " ").split())
        span = _INTERVALS[kind](low, base)
        if span is None:
            return None
        first, last = span
        return TimeExpression(phrase, start, end, f"{first.isoformat()}/{last.isoformat()}",
                              "span" if kind == "span" else "range", first, last, lang)
    got = resolve(phrase, kind, base, lang, nearest)
    if got is None:
        return None
    day, period = got
    period = _AGO_PERIODS.get(_ago_unit(phrase), period) if kind == "relative" else period
    first, last = period_bounds(day, period)
    return TimeExpression(phrase, start, end, iso_value(day, period), period, first, last, lang)


def _masthead(before: str, phrase: str) -> bool:
    """Is "today" part of a newspaper's name ("USA TODAY", "USA Today", "FLORIDA TODAY")?"""
    return bool(re.search(r"\bUSA\s+$", before, re.I)
                or phrase == "TODAY" and re.search(r"\b[A-Z]{2,}\s+$", before))


# Phrases that name several days at once: (first, last) from the phrase (in lower case) and the base day.
_INTERVALS = {"span": _span, "weekend": _weekend, "months": _months, "days": _days, "season": _season,
              "years": _years, "decade": _decade}


def resolve_dates(text: str, published: str, lang: str = "") -> list[TimeExpression]:
    """The time phrases of an article passage resolved against the article's publication date
    (ISO date or datetime; "" for an undated article). A day without its year is the one
    closest to that date: articles announce what is coming as often as they report."""
    base = published_date(published)
    langs = (lang,) if lang in _WEEKDAYS else ("fr", "en")
    return find_time_expressions(text, base, langs, nearest=True)


def published_date(published: str) -> date | None:
    """The calendar day of an ISO date or datetime, or None when empty, unreadable or out of
    range (:func:`in_range`: a store written before the range was enforced)."""
    if not published:
        return None
    try:
        day = datetime.fromisoformat(published).date()
    except ValueError:
        try:
            day = date.fromisoformat(published[:10])
        except ValueError:
            return None
    return day if in_range(day) else None
