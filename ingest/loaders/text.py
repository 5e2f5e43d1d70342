"""Plain text and Markdown: the title is a Markdown heading or the first line."""
from __future__ import annotations

import re
from pathlib import Path

from ..model import Article
from ..settings import Settings
from .common import make_article, read_text_file, stable_id

_HEADING_RE = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")


def load(source: str, settings: Settings, report=None) -> list[Article]:
    raw = read_text_file(source)
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
    path = Path(source).resolve()
    return [make_article(id=stable_id("file", str(path)), title=title, text=body, source=path.name,
                         url=path.as_uri())]


def _first_words(line: str, limit: int = 100) -> str:
    sentence = re.split(r"(?<=[.!?…])\s", line, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence.rstrip(".")
    return sentence[:limit].rsplit(" ", 1)[0] + "…"
