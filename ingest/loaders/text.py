"""Plain text and Markdown: the title is a Markdown heading or the first line.

A file may start with front matter, the convention of static-site generators::

    ---
    title: Trump et Poutine se sont parlé
    date: 2025-07-03
    source: Le Monde
    url: https://example.org/article
    ---

Its ``title``, ``date`` (the publication date), ``source`` and ``url`` fill the article's
fields; other keys are ignored. Without a date the article is undated.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..model import Article
from ..settings import IngestSettings
from .common import make_article, read_text_file, stable_id

_HEADING_RE = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")
_FRONT_MATTER_RE = re.compile(r"\A\ufeff?---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_FIELD_RE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
FRONT_MATTER_KEYS = ("title", "date", "source", "url")


def split_front_matter(raw: str) -> tuple[dict[str, str], str]:
    """(``{key: value}`` of the front matter's known keys, the text after it); no front matter
    gives ``({}, raw)``. Values may be quoted; ``published`` is accepted for ``date``."""
    text = raw.replace("\r\n", "\n")
    m = _FRONT_MATTER_RE.match(text)
    if not m:
        return {}, raw
    fields: dict[str, str] = {}
    for line in m.group(1).split("\n"):
        f = _FIELD_RE.match(line)
        if not f:
            continue
        key, value = f.group(1).lower(), f.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        key = "date" if key == "published" else key
        if key in FRONT_MATTER_KEYS and value:
            fields[key] = value
    return fields, text[m.end():]


def load(source: str, settings: IngestSettings, report=None) -> list[Article]:
    meta, raw = split_front_matter(read_text_file(source))
    lines = raw.replace("\r\n", "\n").split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    line = lines[first].strip()
    m = _HEADING_RE.match(line)
    if m:  # "# Title" then the body
        title, body = m.group(1), "\n".join(lines[first + 1 :])
    elif len(line) <= 150 and not line.endswith((".", "!", "?", "…", ":")) and len(lines) > first + 1:
        title, body = line, "\n".join(lines[first + 1 :])  # a short first line is a title
    else:  # no title line: name the article after its first sentence, keep all the text
        title, body = _first_words(line), raw
    if not body.strip():
        body = raw
    if meta.get("title"):
        title = meta["title"]
    path = Path(source).resolve()
    return [make_article(id=stable_id("file", str(path)), title=title, text=body,
                         source=meta.get("source") or path.name, url=meta.get("url") or path.as_uri(),
                         published=meta.get("date", ""))]


def _first_words(line: str, limit: int = 100) -> str:
    sentence = re.split(r"(?<=[.!?…])\s", line, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence.rstrip(".")
    return sentence[:limit].rsplit(" ", 1)[0] + "…"
