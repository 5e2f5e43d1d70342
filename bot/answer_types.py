"""Plain data of the answering side: filters, retrieved passages, citations and answers.

:class:`Citation`, :class:`DatePhrase` and :class:`Answer` are the one definition of what
``newsbot ask --json`` prints and ``/api/ask`` returns: the REST API's response models are built
from them (``ui.api``), so the descriptions below are also those of the OpenAPI schema.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict  # pydantic reads typing's TypedDict only from Python 3.12

from ingest.model import ChunkMetadata
from ingest.model import Filters as Filters  # re-exported: the store applies it, the answering side passes it on

# A citation marker in an answer: "[n]" refers to citation n. The one pattern of the answerers,
# the metrics and the rendering; a run of markers ("[1] [2]") with the space before it is one cut.
_MARKER = r"\[(\d+)\]"
MARKER_RE = re.compile(_MARKER)
_MARKER_RUN_RE = re.compile(r"(?:\s*" + _MARKER.replace("(", "(?:") + ")+")


def citation_markers(answer: str) -> list[int]:
    """The numbers of every ``[n]`` marker in ``answer``, in order, repeats included."""
    return [int(m) for m in MARKER_RE.findall(answer)]


def strip_markers(answer: str) -> str:
    """``answer`` without its ``[n]`` markers (and the space before each)."""
    return _MARKER_RUN_RE.sub("", answer)


def quoted_parts(answer: str) -> list[str]:
    """The pieces of ``answer`` between its markers (the quoted sentences of an extractive answer)."""
    return [s for s in (x.strip() for x in _MARKER_RUN_RE.split(answer)) if s]


@dataclass
class Passage:
    """A retrieved chunk with its scores; ``start``/``end`` are offsets into its article."""

    chunk_id: str
    text: str
    metadata: ChunkMetadata
    score: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_score: float | None = None
    lexical_score: float | None = None
    duplicates: list[str] = field(default_factory=list)  # chunk ids of the same text in other articles
    sentences: list[tuple[int, int, float]] = field(default_factory=list)  # (start, end, similarity to the query)

    @property
    def article_id(self) -> str:
        return self.metadata.get("article_id", "")

    @property
    def start(self) -> int:
        return int(self.metadata.get("start", 0))

    @property
    def end(self) -> int:
        return int(self.metadata.get("end", 0))


class DatePhrase(TypedDict):
    """A time phrase of a cited passage with the date it means."""

    text: Annotated[str, Field(description="the time phrase as written in the passage, e.g. 'jeudi'")]
    start: Annotated[int, Field(description="offset of the phrase in passage")]
    end: int
    value: Annotated[str, Field(description="its date resolved against the article's publication date: 2025-07-03, "
                                            "2025-W27, 2025-06 or 2025; an ISO interval for several days "
                                            "(2025-06-28/2025-06-29)")]


Span = Annotated[list[int], Field(min_length=2, max_length=2, description="[start, end] offsets into passage")]


@dataclass
class Citation:
    """A cited passage: citation ``n`` of the answer's ``[n]`` markers."""

    n: int
    article_id: str
    title: str
    source: str
    url: str
    published: Annotated[str, Field(description="the article's publication date (ISO), '' when unknown")]
    passage: Annotated[str, Field(description="the cited chunk of the article")]
    start: Annotated[int, Field(description="offset of passage in the article")]
    end: int
    highlight: Annotated[list[Span], Field(description="the spans of passage that support the answer")] = field(
        default_factory=list)
    chunk_id: str = ""
    supported: bool = True
    dates: Annotated[list[DatePhrase], Field(description="time phrases of passage with their resolved dates")] = field(
        default_factory=list)

    @classmethod
    def from_passage(cls, n: int, p: Passage, highlight: list[list[int]]) -> "Citation":
        m = p.metadata
        return cls(n=n, article_id=p.article_id, title=m.get("title", ""), source=m.get("source", ""),
                   url=m.get("url", ""), published=m.get("published", ""), passage=p.text, start=p.start,
                   end=p.end, highlight=highlight, chunk_id=p.chunk_id)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    """An answer with its citations, as `newsbot ask --json` prints it and POST /api/ask returns it."""

    question: str
    answer: Annotated[str, Field(description="the answer; each claim ends with [n] markers referring to citations")]
    refused: Annotated[bool, Field(description="true when the articles do not answer (then no citation)")]
    citations: list[Citation] = field(default_factory=list)
    timings: Annotated[dict[str, float], Field(description="retrieve_ms and answer_ms")] = field(default_factory=dict)
    notice: str = ""  # e.g. "the language model did not answer; extractive answer shown"
    answerer: str = "extractive"
    confidence: float = 0.0
    passages: list[Passage] = field(default_factory=list, repr=False)  # everything retrieved, ranked
    query: str = ""  # the standalone question searched for, when a follow-up was rewritten
    as_of: str = ""  # the day the question was asked as of (ISO)
    short_answer: str = ""  # the answer's words inside the first quoted sentence, when the reader is confident
    short_date: str = ""  # the resolved date (ISO) of the time phrase the short answer is, if it is one

    def to_dict(self) -> dict:
        """The JSON object of ``newsbot ask --json`` and ``POST /api/ask``."""
        d = {
            "question": self.question,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "short_date": self.short_date,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "timings": self.timings,
        }
        if self.notice:
            d["notice"] = self.notice
        if self.query:
            d["query"] = self.query
        if self.as_of:
            d["as_of"] = self.as_of
        d["answerer"] = self.answerer
        d["confidence"] = round(self.confidence, 4)
        return d

