"""Language detection of article text (py3langid, offline, no model download)."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` (its first few thousand characters), or "" if unsure."""
    sample = text[:4000].strip()
    if len(sample) < 3:
        return ""
    lang, prob = _identifier().classify(sample)
    return lang if prob >= 0.3 and lang != "zxx" else ""
