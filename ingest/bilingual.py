"""English–French word translations, for matching a question's words in an article of the other language.

The lexicon (``ingest/data/lexicon-en-fr.tsv``) is induced from the default embedder's own word
vectors by ``python -m training.lexicon`` (see that module); each line is
``source-language<TAB>word<TAB>translation<TAB>score``, words folded as
:func:`ingest.lexical.fold` folds them. It ships inside the package and loads once,
lazily (about 30,000 pairs, well under a second).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

LEXICON_PATH = Path(__file__).parent / "data" / "lexicon-en-fr.tsv"


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    if not LEXICON_PATH.exists():
        return {}
    with LEXICON_PATH.open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 4:
                table.setdefault(parts[1], []).append(parts[2])
    return {w: tuple(ts) for w, ts in table.items()}


def translations(word: str) -> tuple[str, ...]:
    """Likely translations of a folded ``word`` into the other language (English ↔ French);
    empty when the lexicon does not know it."""
    return _lexicon().get(word, ())
