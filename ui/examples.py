"""The chat's example questions: real questions, whole, the README's first.

For the articles of the quick start (``samples/articles.jsonl``) they are questions written for
them, in English and French, starting with the README's "When did Trump and Putin last speak?".
Other articles get one question each from their whole title.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from .labels import label

# (article id in samples/articles.jsonl, {language: question}); the README's question first.
SAMPLE_QUESTIONS: list[tuple[str, dict[str, str]]] = [
    ("sample-trump-poutine-appel", {"en": "When did Trump and Putin last speak?",
                                    "fr": "Quand Trump et Poutine se sont-ils parlé pour la dernière fois ?"}),
    ("sample-notre-dame-reouverture", {"en": "When did Notre-Dame de Paris reopen?",
                                       "fr": "Quand Notre-Dame de Paris a-t-elle rouvert ?"}),
    ("sample-pope-leo-xiv", {"en": "Who was elected pope in May 2025?", "fr": "Qui a été élu pape en mai 2025 ?"}),
    ("sample-louvre-vol-bijoux", {"en": "What was stolen from the Louvre?", "fr": "Qu'a-t-on volé au Louvre ?"}),
    ("sample-ariane6-commercial", {"en": "Which satellite did Ariane 6 launch on its first commercial mission?",
                                   "fr": "Quel satellite Ariane 6 a-t-elle lancé lors de sa première mission commerciale ?"}),
    ("sample-paris-olympics-opening", {"en": "Who lit the Olympic cauldron in Paris?",
                                       "fr": "Qui a allumé la vasque olympique à Paris ?"}),
]


def example_questions(articles: Sequence[Mapping], ui: str, n: int = 6) -> list[str]:
    """Up to ``n`` questions about ``articles`` (newest first, as the store lists them): the
    sample articles' own questions, then one per other article made from its whole title."""
    ids = {a.get("id") for a in articles}
    out = [qs.get(ui, qs["en"]) for aid, qs in SAMPLE_QUESTIONS if aid in ids]
    known = {aid for aid, _ in SAMPLE_QUESTIONS}
    for a in articles:
        title = " ".join((a.get("title") or "").split())
        if len(out) >= n:
            break
        if a.get("id") in known or not title:
            continue
        q = label(ui, "example_q", title=title)
        if q not in out:
            out.append(q)
    return out[:n]
