"""JSON and JSON Lines article records: ``{"id"?, "title", "text", "url"?, "source"?, "published"?, "lang"?}``.

A malformed line or record is reported and skipped; the other records of the file still load.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import InputError
from ..model import Article
from ..settings import IngestSettings
from .common import make_article, read_text_file, stable_id

_ID_RE = re.compile(r"[^A-Za-z0-9_.:-]+")
_TOO_DEEP = "JSON nested too deeply to read (an article record is one flat object)"


def load(source: str, settings: IngestSettings, report) -> list[Article]:
    """Articles of a ``.json`` (one record or a list) or ``.jsonl`` file; ``report(InputError)``
    receives each bad record while the good ones load."""
    raw = read_text_file(source)
    records: list[tuple[str, object]] = []
    if Path(source).suffix.lower() == ".json":
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(source, f"invalid JSON ({exc.msg} at line {exc.lineno})") from None
        except RecursionError:
            raise InputError(source, _TOO_DEEP) from None
        items = data if isinstance(data, list) else [data]
        records = [(f"{source}[{n}]", item) for n, item in enumerate(items)]
    else:
        for n, line in enumerate(raw.split("\n"), 1):
            if not line.strip():
                continue
            try:
                records.append((f"{source}:{n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                report(InputError(f"{source}:{n}", f"malformed JSON line ({exc.msg})"))
            except RecursionError:  # the parser's stack, not the file: this line only is lost
                report(InputError(f"{source}:{n}", _TOO_DEEP))
    out: list[Article] = []
    for where, rec in records:
        try:
            out.append(article_from_record(rec, where, Path(source).name))
        except InputError as err:
            report(err)
        except Exception as exc:  # one odd record must not cost the file's other records
            report(InputError(where, f"record cannot be read ({type(exc).__name__}: {exc})"))
    if not out:
        raise InputError(source, "no valid article records")
    return out


def _check_encodable(rec: dict, where: str) -> None:
    """JSON allows escapes such as "\\ud800" that are no text: such a record is refused whole."""
    for key, value in rec.items():
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InputError(where, f"'{key}' holds an invalid character ({exc.reason}, "
                                        f"U+{ord(value[exc.start]):04X} at {exc.start})") from None


def article_from_record(rec, where: str, default_source: str) -> Article:
    if not isinstance(rec, dict):
        raise InputError(where, "record is not a JSON object")
    _check_encodable(rec, where)
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(where, "record has no 'text'")
    title = rec.get("title") or ""
    if not isinstance(title, str):
        raise InputError(where, "'title' is not a string")
    url = rec.get("url") or ""
    rid = rec.get("id")
    if rid is not None and str(rid).strip():
        article_id = _ID_RE.sub("-", str(rid).strip())[:100]
    else:
        article_id = stable_id("record", url or f"{default_source}\x00{title}\x00{text[:200]}")
    return make_article(id=article_id, title=title, text=text, source=str(rec.get("source") or default_source),
                        url=str(url), published=rec.get("published") or rec.get("date") or "",
                        lang=str(rec.get("lang") or ""), author=str(rec.get("author") or ""))
