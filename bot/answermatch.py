"""Whether a text holds an answer string: the one matching rule of evaluation and training labels.

Case- and whitespace-insensitive: both sides are casefolded and NFC-composed, and every run of
whitespace (non-breaking spaces included) becomes one space.
"""
from __future__ import annotations

import unicodedata
from typing import Iterable


def normalize(text: str) -> str:
    """``text`` casefolded, NFC-composed, with whitespace runs collapsed to one space and trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """True when ``text`` contains one of ``answers`` (normalised; empty answer strings never match)."""
    hay = normalize(text)
    return any(needle and needle in hay for needle in (normalize(a) for a in answers))
