"""Which sentences an answer may quote: never a question, an instruction to whoever reads or
answers (a prompt injection in an article), or the question itself repeated."""
from __future__ import annotations

import re

from ingest.lexical import words

# Sentences that must never be quoted as an answer: a question (an article that repeats the
# question, or asks one), or words addressed to whoever reads or answers (injected instructions).
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|previous|above|prompt)\b"
    r"|\b(ignorez|oubliez|ignore)\b.{0,40}\b(instructions?|consignes?|précédent\w*)\b"
    r"|\b(you must|you should|you are now|as an ai|assistant)\b.{0,60}\b(answer|respond|reply|say|write|output)\b"
    r"|\b(answer|respond|reply)\b.{0,20}\b(with|only|that)\b.{0,40}[\"'«“]"
    r"|\b(répond(s|ez)|dites|écri(s|vez))\b.{0,40}\b(uniquement|seulement|que)\b",
    re.IGNORECASE)


def quotable(sentence: str, question: str = "") -> bool:
    """False for a sentence that is a question, an instruction to the reader, or the question
    itself repeated (nothing it says is not in the question)."""
    s = sentence.strip()
    if not s or s.rstrip("»”\"' )").endswith("?") or _INSTRUCTION.search(s):
        return False
    if question:
        ws, qs = words(s), set(words(question))
        if ws and sum(w not in qs for w in ws) <= max(1, len(ws) // 6):
            return False
    return True
