"""Loaders turn one input (file, folder, URL, feed) into articles.

Each format is one module with a function ``load(source, settings) -> list[Article]``, registered
here by suffix; URLs are fetched and dispatched by content type. ``iter_inputs`` expands folders
and reports every bad input as an :class:`InputError` without stopping the batch.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

from ..errors import InputError
from ..model import Article
from ..settings import IngestSettings
from . import feed, html, jsonl, text, url

# load(source, settings, report): report(InputError) receives bad parts (records, feed entries)
# of an input whose other parts still load.
Loader = Callable[[str, IngestSettings, Callable[[InputError], None]], list[Article]]

LOADERS: dict[str, Loader] = {
    ".txt": text.load,
    ".md": text.load,
    ".markdown": text.load,
    ".html": html.load,
    ".htm": html.load,
    ".json": jsonl.load,
    ".jsonl": jsonl.load,
    ".ndjson": jsonl.load,
    ".xml": feed.load,
    ".rss": feed.load,
    ".atom": feed.load,
}


def expand_inputs(inputs: list[str]) -> Iterator[str]:
    """Files of folders (recursively, sorted, hidden files skipped), URLs and files as given."""
    for item in inputs:
        if item.startswith(("http://", "https://")):
            yield item
            continue
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    yield str(f)
        else:
            yield item


def load_input(source: str, settings: IngestSettings, report: Callable[[InputError], None]) -> list[Article]:
    """Articles of one file or URL; raises :class:`InputError` naming the input and the reason."""
    if source.startswith(("http://", "https://")):
        return url.load(source, settings, report)
    p = Path(source)
    if not p.exists():
        raise InputError(source, "no such file or folder")
    if not p.is_file():
        raise InputError(source, "not a regular file")
    loader = LOADERS.get(p.suffix.lower())
    if loader is None:
        raise InputError(source, f"unsupported file type '{p.suffix or '(none)'}' "
                                 f"(supported: {', '.join(sorted(LOADERS))})")
    size = p.stat().st_size
    if size > settings.max_file_bytes:
        raise InputError(source, f"file too large ({size} bytes > limit {settings.max_file_bytes}; "
                                 "raise NEWSBOT_MAX_FILE_BYTES)")
    if size == 0:
        raise InputError(source, "empty file")
    return loader(source, settings, report)
