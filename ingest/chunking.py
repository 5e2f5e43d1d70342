"""Sentence- and paragraph-aware chunking that keeps character offsets into the article text.

Sentences are found with French and English rules (abbreviations, « guillemets », decimals such
as 8,5 or 3.14, initials); chunks gather whole sentences up to a target size, prefer to end at a
paragraph, and overlap by whole sentences.
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterable

from .model import Article, Chunk, ChunkMetadata

# Lower-cased abbreviations (without the final dot) after which a dot does not end a sentence.
ABBREVIATIONS = frozenset(
    """
    m mm mme mmes mlle mlles dr pr me mgr st ste cf etc ex p pp av apr env vol chap art
    no nos n° éd ed coll dir trad fig min max tel tél bd av boul sq ch
    mr mrs ms prof sr jr gen gov sen rep rev col lt sgt capt cmdr adm maj
    vs approx dept est inc ltd co corp jan feb fév mar apr avr aug aoû sep sept oct nov dec déc
    e.g i.e u.s u.k u.n a.m p.m
    """.split()
)

# Abbreviations that commonly close a sentence: a capital letter after them starts a new one.
_FINAL_ABBREVIATIONS = frozenset({"etc"})

_PARA_RE = re.compile(r"\n[ \t]*\n+")
# A sentence end: terminal punctuation, optional closing quotes/brackets, then whitespace.
_END_RE = re.compile(r"[.!?…]+(?:[ \u00a0\u202f]?[\"'»”’)\]])*(?=\s|$)")
_WORD_BEFORE_RE = re.compile(r"([\w.°]+)$")
# How far back the word before a dot is looked for: abbreviations are short, and a bounded look
# keeps sentence splitting linear in the text (an unbounded one is quadratic on long lines).
_WORD_LOOKBACK = 40


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of non-blank paragraphs (separated by blank lines), trimmed of surrounding space."""
    spans = []
    pos = 0
    for m in _PARA_RE.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[1] > s[0]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_false_end(text: str, punct_start: int, punct_end: int, seg_end: int) -> bool:
    """True when the punctuation at ``punct_start`` does not end a sentence."""
    punct = text[punct_start:punct_end]
    if punct.startswith(".") and not punct.startswith(".."):
        m = _WORD_BEFORE_RE.search(text, max(0, punct_start - _WORD_LOOKBACK), punct_start)
        word = m.group(1).lower() if m else ""
        if word in _FINAL_ABBREVIATIONS and _next_char(text, punct_end, seg_end).isupper():
            return False
        if word.rstrip(".") in ABBREVIATIONS or word in ABBREVIATIONS:
            return True
        # Initials such as "J. K. Rowling" or "A."
        if len(word) == 1 and word.isalpha() and text[punct_start - 1].isupper():
            return True
    # What follows: a sentence starts with an upper-case letter, a digit, a quote or a dash.
    return _next_char(text, punct_end, seg_end).islower()


def _next_char(text: str, pos: int, end: int) -> str:
    """The first non-space character of ``text[pos:end]``, or "" if there is none."""
    while pos < end and text[pos].isspace():
        pos += 1
    return text[pos] if pos < end else ""


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of sentences in ``text[start:end]``, as absolute offsets, trimmed of spaces.

    Line breaks inside a paragraph end a sentence only if punctuation does too; paragraphs
    (blank lines) always do.
    """
    if end is None:
        end = len(text)
    out: list[tuple[int, int]] = []
    for pa, pb in split_paragraphs(text[start:end]):
        pa, pb = pa + start, pb + start
        sent_start = pa
        guillemet_depth = 0
        i = pa
        for m in _END_RE.finditer(text, pa, pb):
            # Track « » so a dot inside a short quotation followed by lower case is not an end.
            segment = text[i:m.start()]
            guillemet_depth += segment.count("«") - segment.count("»")
            i = m.start()
            if _is_false_end(text, m.start(), m.end(), pb):
                continue
            if guillemet_depth > 0 and "»" not in m.group(0):
                # Inside « ... »: only end if the quotation really closes the sentence later.
                continue
            s = _trim(text, sent_start, m.end())
            if s[1] > s[0]:
                out.append(s)
            sent_start = m.end()
            guillemet_depth = max(guillemet_depth, 0)
        s = _trim(text, sent_start, pb)
        if s[1] > s[0]:
            out.append(s)
    return out


def _split_long(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at word boundaries (only when no sentence break exists)."""
    spans = []
    a = start
    while end - a > size:
        cut = text.rfind(" ", a + size // 2, a + size)
        if cut <= a:
            cut = a + size
        spans.append(_trim(text, a, cut))
        a = cut
    spans.append(_trim(text, a, end))
    return [s for s in spans if s[1] > s[0]]


def plan_chunks(text: str, size: int = 900, overlap: int = 150) -> list[tuple[int, int]]:
    """Character spans of chunks of ``text``: whole sentences, about ``size`` characters each.

    A chunk ends at a paragraph boundary when that keeps it at least half full; consecutive
    chunks share whole trailing sentences totalling at most ``overlap`` characters. What would be
    left after a chunk, if shorter than a third of ``size``, joins that chunk instead of standing
    alone (so a chunk holds less than 4/3 of ``size``): a last sentence on its own has none of the words that say what it is about ("ce conflit
    qui dure depuis plus de trois ans" without the war it is about).
    """
    units: list[tuple[int, int, bool]] = []  # (start, end, ends_paragraph)
    for pa, pb in split_paragraphs(text):
        sents = split_sentences(text, pa, pb)
        pieces: list[tuple[int, int]] = []
        for sa, sb in sents:
            pieces.extend(_split_long(text, sa, sb, size) if sb - sa > size else [(sa, sb)])
        for n, (sa, sb) in enumerate(pieces):
            units.append((sa, sb, n == len(pieces) - 1))
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j = i
        best_para_end = None
        while j < len(units) and (j == i or units[j][1] - units[i][0] <= size):
            if units[j][2]:
                best_para_end = j
            j += 1
        last = j - 1
        if best_para_end is not None and best_para_end < last:
            if units[best_para_end][1] - units[i][0] >= size // 2:
                last = best_para_end
        if last + 1 < len(units) and units[-1][1] - units[last][1] < size // 3:
            last = len(units) - 1  # a short remainder joins this chunk
        chunks.append((units[i][0], units[last][1]))
        if last + 1 >= len(units):
            break
        # Step back over whole sentences for the overlap, never to the chunk's own start.
        nxt = last + 1
        back = last
        while back > i and units[last][1] - units[back][0] <= overlap and not units[back][2]:
            back -= 1
        if back < last and units[last][1] - units[back + 1][0] <= overlap:
            nxt = back + 1
        # The overlap must leave room for the next sentence, or the next chunk would not advance.
        while nxt <= last and units[last + 1][1] - units[nxt][0] > size:
            nxt += 1
        i = max(nxt, i + 1)
    return chunks


def published_timestamp(published: str) -> int:
    """Seconds since the epoch (UTC) of an ISO date or datetime; 0 when empty or unparsable (0 means
    undated: an article of 1970-01-01 00:00 UTC gets -1, articles before 1970 are negative)."""
    from datetime import datetime, timezone

    if not published:
        return 0
    try:
        dt = datetime.fromisoformat(published)
    except ValueError:
        return 0
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) or -1


def chunk_id(article_id: str, text: str, start: int) -> str:
    """Content-derived id: the same passage at the same place keeps its id across re-ingestion."""
    h = hashlib.sha1(f"{article_id}\x00{start}\x00{text}".encode("utf-8")).hexdigest()
    return f"{article_id}-{h[:16]}"


def chunk_article(article: Article, size: int = 900, overlap: int = 150) -> list[Chunk]:
    """Chunks of one article; each carries its offsets and the article's metadata."""
    meta = ChunkMetadata(
        article_id=article.id,
        title=article.title,
        source=article.source,
        url=article.url,
        published=article.published,
        published_ts=published_timestamp(article.published),
        lang=article.lang,
        author=article.author,
        article_hash=article.content_hash,
    )
    spans = plan_chunks(article.text, size, overlap)
    meta["article_chunks"] = len(spans)  # lets the store tell a complete article from a partial one
    out = []
    for n, (a, b) in enumerate(spans):
        text = article.text[a:b]
        out.append(Chunk(chunk_id(article.id, text, a), article.id, n, text, a, b, ChunkMetadata(**meta, start=a, end=b, index=n)))
    return out


def chunk_articles(articles: Iterable[Article], size: int, overlap: int) -> list[Chunk]:
    return [c for a in articles for c in chunk_article(a, size, overlap)]
