"""Time in questions: the date a question is asked as of, the period it names ("this week",
"le mois dernier", "in March", "since June"), whether it wants the latest news ("last",
"dernier", "récemment"), and how retrieval favours the articles of that time.

Every question is asked as of a day (today unless given). Articles published after it are
never searched. The question's period, or by default the days just before ``as_of``, becomes
a publication window whose dense and BM25 results are fused in beside the unrestricted ones
(a period longer than a month, "in 2024", names a year, not the moment: the days before
``as_of`` get their window beside it):
the news of the moment rises, old articles on the same subject stay findable. Undated articles
are never in a window, so a store without dates ranks as if there were no time at all.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from ingest.dates import EARLIEST, LATEST, find_time_expressions, in_range, published_date, resolve_dates
from ingest.lexical import fold

from .answer_types import Citation, DatePhrase, Filters, Passage
from .errors import QuestionError
from .questions import question_language

# The one way a day is written in questions, filters and QA files: YYYY-MM-DD.
ISO_DAY = r"\d{4}-\d{2}-\d{2}"
_ISO_DAY_RE = re.compile(ISO_DAY)


class AsOfError(QuestionError):
    """An ``as_of`` value that is not a calendar date."""


def is_iso_day(text: str) -> bool:
    """True when ``text`` is written YYYY-MM-DD (whether the day exists is for ``date.fromisoformat``)."""
    return bool(_ISO_DAY_RE.fullmatch(text))


def is_calendar_day(text: str) -> bool:
    """True when ``text`` is written YYYY-MM-DD, names a day that exists (not 2025-02-30, not
    0000-01-01) and lies in the years every date computation has room for (1000–2999)."""
    try:
        return is_iso_day(text) and in_range(date.fromisoformat(text))
    except ValueError:
        return False


def parse_as_of(value: str | date | None, today: date | None = None) -> date:
    """The day a question is asked as of: ``value`` (``YYYY-MM-DD``), or today when empty."""
    if isinstance(value, date):
        return _within_range(value)
    text = str(value or "").strip()
    if not text:
        return today or date.today()
    try:
        day = date.fromisoformat(text) if is_iso_day(text) else None
    except ValueError:
        day = None
    if day is not None:
        return _within_range(day)
    raise AsOfError(f"as_of '{text[:40]}' is not a date: give it as YYYY-MM-DD, e.g. 2025-07-03")


def _within_range(day: date) -> date:
    if not in_range(day):
        raise AsOfError(f"as_of {day.isoformat()} is out of range: give a day from {EARLIEST.isoformat()} "
                        f"to {LATEST.isoformat()}")
    return day


# Words asking for the most recent evidence; folded (lower case, no accents). "last" counts only
# when no period follows it ("last week" is a period, "when did they last speak" a preference).
_RECENT_RE = re.compile(
    r"\b(latest|most recent(ly)?|recent(ly)?|lately|newest|last(?! (week|month|year|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday)\b)|so far|currently|dernier(e|s|es)?|plus recent(e|s|es)?|recemment"
    r"|dernierement|actuellement|a ce jour|what(?:['’]| i)s new|quoi de neuf|du nouveau)\b")
_SINCE_RE = re.compile(r"\b(since|depuis)\s+$", re.I)


@dataclass(frozen=True)
class TimeScope:
    """What a question asks of time, as of ``as_of``: a period (``since``..``until``, inclusive,
    None when it names none), a wish for the latest evidence, and the words that said so."""

    as_of: date
    since: date | None = None
    until: date | None = None
    recent: bool = False
    expressions: tuple[str, ...] = ()

    @property
    def has_period(self) -> bool:
        return self.since is not None

    @property
    def period(self) -> tuple[date, date] | None:
        """``(since, until)`` when the question names a period."""
        return (self.since, self.until) if self.since is not None and self.until is not None else None

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "since": self.since.isoformat() if self.since else "",
                "until": self.until.isoformat() if self.until else "", "recent": self.recent,
                "expressions": list(self.expressions)}


SUBJECT_DAYS = 31  # see question_time: an older day beside a recent period of at most this many days is a subject


def question_time(question: str, as_of: date) -> TimeScope:
    """The time scope of ``question`` asked as of ``as_of`` (French or English).

    A named period becomes its days ("last month" asked on 2025-07-03: 2025-06-01..2025-06-30);
    a current period ends at ``as_of`` ("this week": the seven days up to it); "since X" runs
    from X to ``as_of``; several periods are joined, but beside a recent one (at most a month,
    ending within a month of ``as_of``: "this week", "the past 3 days", "Sunday") a time named
    more than a month before it is the question's subject, not its time. Nothing after
    ``as_of`` is in a period.
    """
    _within_range(as_of)
    lang = question_language(question)
    found = find_time_expressions(question, as_of, (lang,) if lang else ("fr", "en"))
    periods = []
    for e in found:
        first, last = e.first, e.last
        if e.period == "range" and first > as_of and (last - first).days == 1:
            first, last = first - timedelta(days=7), last - timedelta(days=7)  # "this weekend" asked on a Thursday: the last one
        if _SINCE_RE.search(question[:e.start]):
            last = as_of
        if last >= as_of >= first:  # the current week/month/year: up to as_of
            first = min(first, as_of - timedelta(days=6)) if e.period == "week" else first
            last = as_of
        if first <= as_of:
            periods.append((first, min(last, as_of), e.text))
    # A question about the last few weeks that also names an older time names it as its subject
    # ("the Jan. 6 committee held a hearing this week", "she died Sunday; whom did she play in the
    # 1960s series?"): the recent period is the one asked about.
    recent = [p for p in periods if (as_of - p[1]).days <= SUBJECT_DAYS and (p[1] - p[0]).days <= SUBJECT_DAYS]
    if recent:
        start = min(p[0] for p in recent)
        periods = [p for p in periods if p[1] >= start - timedelta(days=SUBJECT_DAYS)]
    since = min((p[0] for p in periods), default=None)
    until = max((p[1] for p in periods), default=None)
    words = [p[2] for p in periods]
    rest = question
    for e in reversed(found):
        rest = rest[:e.start] + " " + rest[e.end:]
    m = _RECENT_RE.search(fold(rest))
    if m:
        words.append(m.group(0))
    return TimeScope(as_of, since, until, bool(m), tuple(words))


def asks_latest(question: str) -> bool:
    """Whether ``question`` asks for the most recent occurrence ("when did they last speak",
    "la dernière fois"), whatever period it names."""
    return bool(_RECENT_RE.search(fold(question)))


def newest_day(text: str, published: str, lang: str = "") -> date | None:
    """The latest day that a time phrase of ``text`` reaches, resolved against the article's
    publication date; an undated article's phrases are resolved against today, which keeps their
    order ("jeudi" after "14 juin" after "avril")."""
    base = published or date.today().isoformat()
    found = resolve_dates(text, base, lang)
    day = published_date(base) or date.today()
    # A rolling span ("depuis trois ans", "the past week") ends on the publication day whatever it
    # tells of, so it dates no event; what the article announces ("next week", "jeudi prochain")
    # has not happened yet.
    return max((min(e.last, day) for e in found if e.period != "span" and e.first <= day), default=None)


@dataclass(frozen=True)
class TimePolicy:
    """How much time weighs in retrieval. Windows are searched like the whole store (dense and
    BM25, ``depth`` each) and their rankings fused in by RRF with these weights; the values are
    chosen on the RealTimeQA training questions of 2022–23 (see docs/answers.md)."""

    recent_days: int = 14  # default window: the days up to as_of, for a question naming no period
    recent_weight: float = 1.0  # weight of each default-window ranking
    period_weight: float = 1.0  # weight of each ranking of a period the question names
    recent_with_period: bool = False  # also search the default window when the question names a period
    recent_beside_period_weight: float = 0.0  # the default window's weight beside a named period of a month or less
    report_lag_days: int = 2  # news of a day is published up to this many days later
    latest_weight: float = 1.0  # weight of the newest-first ranking when the question asks for the latest
    latest_candidates: int = 10  # how many of the best passages are reordered newest first

    def cutoff(self, filters: Filters, scope: TimeScope | None) -> Filters:
        """``filters`` that also drop articles published after ``as_of`` (undated ones stay)."""
        if scope is None:
            return filters
        return replace(filters, as_of=scope.as_of.isoformat())

    def windows(self, filters: Filters, scope: TimeScope | None) -> list[tuple[Filters, float]]:
        """``(filters of a publication window, weight of its rankings)`` to search beside ``filters``."""
        if scope is None:
            return []
        spans: list[tuple[date, date, float]] = []
        period = scope.period
        if period is not None:
            spans.append((period[0], min(period[1] + timedelta(days=self.report_lag_days), scope.as_of),
                          self.period_weight))
        if self.recent_days > 0 and self.recent_weight > 0:
            recent = scope.as_of - timedelta(days=self.recent_days - 1), scope.as_of
            if self.recent_with_period or period is None or (period[1] - period[0]).days >= SUBJECT_DAYS:
                spans.append((*recent, self.recent_weight))  # a long period ("in 2024") does not say "now"
            elif self.recent_beside_period_weight > 0:
                spans.append((*recent, self.recent_beside_period_weight))
        out = []
        for first, last, weight in spans:
            since = max(first.isoformat(), filters.since) if filters.since else first.isoformat()
            until = min(last.isoformat(), filters.until) if filters.until else last.isoformat()
            if since <= until:
                out.append((replace(filters, since=since, until=until), weight))
        return out

    def prefer_latest(self, ranked: list[Passage], scope: TimeScope | None, rrf_k: int) -> list[Passage]:
        """For a question asking for the latest news, fuse in a newest-first ranking of the best
        dated passages (undated ones get nothing: they are never taken for new)."""
        if scope is None or not scope.recent or self.latest_weight <= 0:
            return ranked
        head = ranked[: self.latest_candidates]
        dated = [p for p in head if int(p.metadata.get("published_ts") or 0) != 0]
        for rank, p in enumerate(sorted(dated, key=lambda p: -int(p.metadata["published_ts"])), 1):
            p.score += self.latest_weight / (rrf_k + rank)
        return sorted(head, key=lambda p: p.score, reverse=True) + ranked[self.latest_candidates:]


def date_citations(citations: list[Citation], passages: Sequence[Passage] = ()) -> None:
    """Give each citation the time phrases of its passage resolved against its article's
    publication date (``[{"text", "start", "end", "value"}]``, offsets in the passage); the
    article's language, when ``passages`` tell it, picks the vocabulary."""
    langs = {p.chunk_id: p.metadata.get("lang", "") for p in passages}
    for c in citations:
        c.dates = [DatePhrase(text=e.text, start=e.start, end=e.end, value=e.value)
                   for e in resolve_dates(c.passage, c.published, langs.get(c.chunk_id, ""))]
