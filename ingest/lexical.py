"""BM25 index over chunks (``bm25s``), with accent folding, stop words and Snowball stemming.

Chunks are stemmed with their own language's stemmer; a query is expanded to the stems of every
language present in the index, so one index serves French and English articles.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

STEMMER_LANGS = {"fr": "french", "en": "english", "de": "german", "es": "spanish", "it": "italian",
                 "pt": "portuguese", "nl": "dutch"}

_STOPWORDS_FR = """au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me meme
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une
vos votre vous c d j l a m n s t y ete etee etees etes etant suis es est sommes sont serai sera serons seront
ai as avons avez ont eu avait avaient cette cet ca ceci cela quel quelle quels quelles dont ou si plus aussi
comme tout tous toute toutes""".split()
_STOPWORDS_EN = """a an the and or but if of at by for with about against between into through during before
after above below to from up down in out on off over under again further then once here there all any both each
few more most other some such no nor not only own same so than too very s t can will just don should now is are
was were be been being have has had having do does did doing i me my we our you your he him his she her it its
they them their what which who whom this that these those am""".split()
STOPWORDS = frozenset(_STOPWORDS_FR + _STOPWORDS_EN)
# Question words say what kind of answer is wanted, not what it is about: they are dropped from
# queries (they rarely occur in the answering passage and only add noise to BM25).
QUESTION_WORDS = frozenset("""quel quelle quels quelles combien quand comment pourquoi quoi lequel laquelle lesquels
lesquelles auquel auxquels duquel est-ce what when where who whom whose why how many much""".split())
_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Élysée' -> 'elysee'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=None)
def _stemmer(lang: str):
    import Stemmer

    name = STEMMER_LANGS.get(lang)
    return Stemmer.Stemmer(name) if name else None


def words(text: str) -> list[str]:
    """Folded word tokens of ``text`` without stop words (numbers are kept)."""
    return [w for w in _TOKEN_RE.findall(fold(text)) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def tokenize(text: str, lang: str) -> list[str]:
    """Stemmed tokens of a passage in language ``lang`` (unstemmed for unknown languages)."""
    toks = words(text)
    st = _stemmer(lang)
    return st.stemWords(toks) if st else toks


def query_word_forms(text: str, langs: list[str]) -> dict[str, set[str]]:
    """Each content word of a query (question words dropped) with its stems in every language of ``langs``."""
    out: dict[str, set[str]] = {}
    for w in words(text):
        if w in QUESTION_WORDS or w in out:
            continue
        forms = {w}
        for lang in langs:
            st = _stemmer(lang)
            forms.add(st.stemWord(w) if st else w)
        out[w] = forms
    return out


def tokenize_query(text: str, langs: list[str]) -> list[str]:
    """Query tokens: for each content word, its stem in every language of the index (deduplicated)."""
    out: list[str] = []
    seen: set[str] = set()
    for forms in query_word_forms(text, langs).values():
        for f in sorted(forms):
            if f not in seen:
                seen.add(f)
                out.append(f)
    return out


class LexicalIndex:
    """BM25 over chunk ids; keeps each chunk's filterable metadata (source, published, lang)."""

    def __init__(self, ids: list[str], metas: list[dict], bm25=None, generation: int = 0):
        self.ids = ids
        self.metas = metas
        self.generation = generation
        self._bm25 = bm25
        self.langs = sorted({m.get("lang", "") for m in metas if m.get("lang", "") in STEMMER_LANGS}) or ["fr", "en"]
        self._pos = {cid: i for i, cid in enumerate(ids)}
        self._vocab = set(bm25.vocab_dict) if bm25 is not None else set()
        self._idf: dict[str, float] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, ids: list[str], texts: list[str], metas: list[dict], generation: int = 0) -> "LexicalIndex":
        import bm25s

        if not ids:
            return cls([], [], None, generation)
        corpus = [tokenize(t + " " + m.get("title", ""), m.get("lang", "")) or ["\u2205"] for t, m in zip(texts, metas)]
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        keep = ("source", "published", "published_ts", "lang", "article_id")
        return cls(ids, [{k: m.get(k, "") for k in keep} for m in metas], bm25, generation)

    def save(self, folder: Path) -> None:
        """Write to ``folder`` atomically (a temp folder renamed over the old one)."""
        folder = Path(folder)
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(str(tmp / "bm25"), show_progress=False)
        with open(tmp / "chunks.json", "w", encoding="utf-8") as f:
            json.dump({"generation": self.generation, "ids": self.ids, "metas": self.metas}, f)
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex | None":
        """The saved index, or None if there is none or it is unreadable."""
        folder = Path(folder)
        try:
            with open(folder / "chunks.json", encoding="utf-8") as f:
                data = json.load(f)
            bm25 = None
            if data["ids"]:
                import bm25s

                bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
            return cls(data["ids"], data["metas"], bm25, int(data.get("generation", 0)))
        except (OSError, ValueError, KeyError):
            return None

    def idf(self, token: str) -> float:
        """BM25 inverse document frequency of a stemmed token (0 for tokens absent from the index)."""
        if self._idf is None:
            self._idf = {}
            if self._bm25 is not None:
                indptr = self._bm25.scores["indptr"]
                n = len(self.ids)
                for tok, i in self._bm25.vocab_dict.items():
                    if i + 1 < len(indptr):
                        df = int(indptr[i + 1] - indptr[i])
                        self._idf[tok] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return self._idf.get(token, 0.0)

    def search(self, query: str, k: int = 10, allowed=None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, BM25 score) pairs; ``allowed(meta) -> bool`` filters chunks."""
        if self._bm25 is None or k <= 0:
            return []
        toks = [t for t in tokenize_query(query, self.langs) if t in self._vocab]
        if not toks:
            return []
        mask = None
        if allowed is not None:
            mask = np.fromiter((1.0 if allowed(m) else 0.0 for m in self.metas), dtype=np.float32, count=len(self.metas))
            if not mask.any():
                return []
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve([toks], k=k, show_progress=False, weight_mask=mask, n_threads=1)
        out = []
        for d, s in zip(docs[0], scores[0]):
            if s > 0:
                out.append((self.ids[int(d)], float(s)))
        return out
