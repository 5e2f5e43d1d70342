"""Question files: JSONL records ``{"id", "question", "answers": [...], "article_id"?, "article_ids"?, "as_of"?}``,
read once here for the evaluation, the benchmarks and the tuning commands."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot.errors import EvalInputError
from bot.news_time import AsOfError, parse_as_of

__all__ = ["EvalInputError", "QAItem", "load_qa"]


@dataclass(frozen=True)
class QAItem:
    """One evaluation question; no answer strings means the corpus does not answer it."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    article_id: str = ""
    as_of: str = ""  # the day the question is asked as of (YYYY-MM-DD), when given
    article_ids: tuple[str, ...] = ()  # the articles the question was written from or found in (RealTimeQA)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def _article_ids(d: dict) -> tuple[str, ...]:
    ids = d.get("article_ids")
    if ids is None:
        return (str(d["article_id"]),) if d.get("article_id") else ()
    if not isinstance(ids, list):
        raise TypeError(f"article_ids must be a list of article ids, not {type(ids).__name__}")
    return tuple(str(a) for a in ids)


def _item(d: dict) -> QAItem:
    item = QAItem(id=str(d["id"]), question=str(d["question"]), answers=tuple(str(a) for a in d.get("answers") or ()),
                  article_id=str(d.get("article_id") or ""), as_of=str(d.get("as_of") or ""),
                  article_ids=_article_ids(d))
    if item.as_of:
        parse_as_of(item.as_of)
    return item


def load_qa(path: Path, limit: int | None = None) -> list[QAItem]:
    """The questions of a JSONL question file (the first ``limit`` when given), ids unique.

    A record repeated exactly (same id, same question, answers and dates) is read once, as
    RealTimeQA's own files have a few; two different records under one id are an error.
    Raises :class:`EvalInputError` naming the file, the line and the fix."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"{path}: cannot be read ({exc}); give a UTF-8 JSONL file of questions") from exc
    items, seen = [], {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = _item(json.loads(line))
        except (ValueError, KeyError, TypeError, AsOfError) as exc:
            raise EvalInputError(f"{path}:{n}: not a question record ({type(exc).__name__}: {exc}); "
                                 'expected {"id", "question", "answers": [...]}') from exc
        if item.id in seen:
            if seen[item.id] == item:
                continue
            raise EvalInputError(f"{path}:{n}: question id '{item.id}' appears twice, as different questions; "
                                 "ids must be unique")
        seen[item.id] = item
        items.append(item)
    if not items:
        raise EvalInputError(f"{path}: no questions found")
    return items[:limit] if limit else items
