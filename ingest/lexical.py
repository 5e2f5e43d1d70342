"""BM25 index over chunks, with accent folding, stop words and Snowball stemming.

Chunks are stemmed with their own language's stemmer; a query is expanded to the stems of every
language present in the index, so one index serves French and English articles.

The index is a tantivy index on disk (Lucene-style segments): the analysed tokens of each chunk
are written as one document, so adding or removing chunks costs what they hold, not the size of
the store, and a commit is atomic and durable. Every process that opens the folder reads the
same index and sees a commit after :meth:`LexicalIndex.reload`. The generation of the Chroma
collection the index reflects is stored in the index itself, in the same commit as the chunks.
"""
from __future__ import annotations

import json
import math
import re
import shutil
import unicodedata
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .bilingual import translations

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


def query_word_forms(text: str, langs: list[str], translate: bool = False) -> dict[str, set[str]]:
    """Each content word of a query (question words dropped) with its stems in every language of
    ``langs``; with ``translate``, also its English/French translations (:mod:`ingest.bilingual`)
    and their stems, so that a word can be found in an article of the other language."""
    out: dict[str, set[str]] = {}
    for w in words(text):
        if w in QUESTION_WORDS or w in out:
            continue
        forms = {w}
        for v in (w, *translations(w)) if translate else (w,):
            forms.add(v)
            for lang in langs:
                st = _stemmer(lang)
                forms.add(st.stemWord(v) if st else v)
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


FORMAT = "newsbot-lexical-tantivy-1"
_MARKER = "newsbot-lexical.json"
_STATE_ID = "#state"  # the document holding the generation (chunk ids never start with '#')
# Metadata a search filter (``allowed``) may look at; chunks sharing these values form one group.
FILTER_KEYS = ("source", "published", "published_ts", "lang")
_SMALL_WRITE_HEAP = 15_000_000
_BULK_WRITE_HEAP = 128_000_000


def _schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    # Pre-analysed tokens joined by spaces: the analysis is ours (see :func:`tokenize`).
    sb.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("group", stored=False, tokenizer_name="raw", index_option="basic")
    sb.add_unsigned_field("generation", stored=True)
    return sb.build()


def filter_group(meta: Mapping[str, Any]) -> str:
    """The filterable metadata of a chunk as one term (JSON with sorted keys)."""
    return json.dumps({k: meta.get(k, "") for k in FILTER_KEYS}, sort_keys=True, ensure_ascii=False)


def chunk_tokens(text: str, meta: Mapping[str, Any]) -> list[str]:
    """What BM25 indexes of a chunk: its text and its article's title, in the chunk's language."""
    return tokenize(text + " " + meta.get("title", ""), meta.get("lang", "")) or ["\u2205"]


class LexicalIndex:
    """BM25 over chunk ids in a tantivy index at ``folder``; filters see each chunk's
    :data:`FILTER_KEYS`.

    Open with :meth:`open` (None when the folder holds no index of this format) or :meth:`create`;
    write with :meth:`apply` (one atomic commit); :meth:`reload` picks up other processes' commits.
    Reads go to the :class:`LexicalSnapshot` of the last reload (:meth:`snapshot`).
    """

    def __init__(self, folder: Path, index):
        self.folder = Path(folder)
        self._index = index
        self.generation = 0
        self.reload()

    @classmethod
    def open(cls, folder: Path | str) -> "LexicalIndex | None":
        """The index saved in ``folder``, or None if there is none, or of another format, or unreadable."""
        import tantivy

        folder = Path(folder)
        try:
            if json.loads((folder / _MARKER).read_text(encoding="utf-8")).get("format") != FORMAT:
                return None
            return cls(folder, tantivy.Index.open(str(folder)))
        except (OSError, ValueError, KeyError, AttributeError):
            return None

    @classmethod
    def create(cls, folder: Path | str, generation: int = 0) -> "LexicalIndex":
        """A new empty index in ``folder`` (anything there is removed)."""
        import tantivy

        folder = Path(folder)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        index = cls(folder, tantivy.Index(_schema(), path=str(folder), reuse=False))
        index.apply_tokens([], [], generation)
        (folder / _MARKER).write_text(json.dumps({"format": FORMAT}), encoding="utf-8")
        return index

    def reload(self) -> None:
        """See the latest commit (of this process or another)."""
        self._index.reload()
        self._snapshot = LexicalSnapshot(self._index.searcher(), self._index.schema)
        self.generation = self._snapshot.generation

    def snapshot(self) -> "LexicalSnapshot":
        """The index as of its last reload; later commits and reloads leave it as it is."""
        return self._snapshot

    def __len__(self) -> int:
        return len(self._snapshot)

    # ---- writes -------------------------------------------------------------------------------
    def apply(self, upserts: Iterable[tuple[str, str, Mapping[str, Any]]], deletes: Iterable[str], generation: int,
              reset: bool = False) -> None:
        """In one commit: remove ``deletes`` (chunk ids), add or replace ``upserts`` ((id, text,
        metadata) triples), and record ``generation``; ``reset`` first empties the index.
        Only the process holding the store's write lock may call this."""
        rows = ((cid, chunk_tokens(text, meta), meta) for cid, text, meta in upserts)
        self.apply_tokens(rows, deletes, generation, reset=reset, bulk=reset)

    def apply_tokens(self, upserts: Iterable[tuple[str, list[str], Mapping[str, Any]]], deletes: Iterable[str], generation: int,
                     reset: bool = False, bulk: bool = False) -> None:
        """:meth:`apply` with chunks already analysed: (id, tokens, metadata) triples."""
        import tantivy

        # A writer killed during its commit (a CLI ingest sent SIGKILL) leaves files its meta.json never
        # listed; this commit would reuse their names (same opstamp) and fail with FileAlreadyExists.
        # Tantivy reads its list of the files it may remove (managed.json) when the index is opened,
        # so an index opened before that writer's files does not know them: reopen it, then remove them.
        self._index = tantivy.Index.open(str(self.folder))
        writer = self._index.writer(heap_size=_BULK_WRITE_HEAP if bulk else _SMALL_WRITE_HEAP, num_threads=1)
        writer.garbage_collect_files()
        try:
            if reset:
                writer.delete_all_documents()
            for cid in deletes:
                writer.delete_documents_by_term("id", cid)
            for cid, toks, meta in upserts:
                if not reset:
                    writer.delete_documents_by_term("id", cid)
                writer.add_document(tantivy.Document(id=cid, body=" ".join(toks), group=filter_group(meta)))
            writer.delete_documents_by_term("id", _STATE_ID)
            writer.add_document(tantivy.Document(id=_STATE_ID, generation=int(generation)))
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        self.reload()

    # ---- reads (of the current snapshot) ----------------------------------------------------------
    @property
    def metas(self) -> list[dict]:
        return self._snapshot.metas

    @property
    def langs(self) -> list[str]:
        return self._snapshot.langs

    @property
    def ids(self) -> list[str]:
        return self._snapshot.ids

    def idf(self, token: str) -> float:
        return self._snapshot.idf(token)

    def search(self, query: str, k: int = 10, allowed: Callable[[dict], bool] | None = None) -> list[tuple[str, float]]:
        return self._snapshot.search(query, k, allowed)

    def search_tokens(self, toks: list[str], k: int, allowed: Callable[[dict], bool] | None = None) -> list[tuple[str, float]]:
        return self._snapshot.search_tokens(toks, k, allowed)


class LexicalSnapshot:
    """One commit of a :class:`LexicalIndex`, read by one tantivy searcher: every search and idf
    of it sees the same chunks, whatever is committed meanwhile."""

    def __init__(self, searcher, schema):
        import tantivy

        self._searcher = searcher
        self._schema = schema
        hits = searcher.search(tantivy.Query.term_query(schema, "id", _STATE_ID), 1, count=False).hits
        state = searcher.doc(hits[0][1]) if hits else None
        self.generation = int(state["generation"][0]) if state else 0
        self._has_state = state is not None
        self._groups: dict[str, dict] | None = None
        self._idf: dict[str, float] = {}

    def __len__(self) -> int:
        return self._searcher.num_docs - (1 if self._has_state else 0)

    def _group_metas(self) -> dict[str, dict]:
        """Every filter group of the index with its metadata (as many as distinct groups, not chunks)."""
        if self._groups is None:
            terms = self._searcher.terms_with_prefix("group", "")
            self._groups = {t: json.loads(t) for t, n in terms if n > 0}
        return self._groups

    @property
    def metas(self) -> list[dict]:
        """The filterable metadata (:data:`FILTER_KEYS`) found in the index, one entry per
        distinct combination (not per chunk)."""
        return list(self._group_metas().values())

    @cached_property
    def has_dates(self) -> bool:
        """Whether any indexed chunk has a publication date (``published_ts`` other than 0)."""
        return any(int(m.get("published_ts") or 0) != 0 for m in self._group_metas().values())

    @property
    def langs(self) -> list[str]:
        """Languages of the indexed chunks that have a stemmer (French and English if none)."""
        return sorted({m.get("lang", "") for m in self._group_metas().values()} & set(STEMMER_LANGS)) or ["fr", "en"]

    @property
    def ids(self) -> list[str]:
        """Every chunk id in the index (reads the whole index: for maintenance, not per question)."""
        import tantivy

        hits = self._searcher.search(tantivy.Query.all_query(), max(1, self._searcher.num_docs), count=False).hits
        ids = (self._searcher.doc(addr)["id"][0] for _, addr in hits)
        return [cid for cid in ids if cid != _STATE_ID]

    def idf(self, token: str) -> float:
        """BM25 inverse document frequency of a stemmed token (0 for tokens absent from the index)."""
        if token not in self._idf:
            df = self._searcher.doc_freq("body", token)
            n = len(self)
            self._idf[token] = math.log(1 + (n - df + 0.5) / (df + 0.5)) if df and n else 0.0
        return self._idf[token]

    def search(self, query: str, k: int = 10, allowed: Callable[[dict], bool] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, BM25 score) pairs; ``allowed(meta) -> bool`` filters chunks by their
        :data:`FILTER_KEYS`."""
        if k <= 0 or len(self) == 0:
            return []
        return self.search_tokens(tokenize_query(query, self.langs), k, allowed)

    def search_tokens(self, toks: list[str], k: int, allowed: Callable[[dict], bool] | None = None) -> list[tuple[str, float]]:
        """:meth:`search` with the query already analysed (any of ``toks`` may match)."""
        import tantivy

        if not toks or k <= 0:
            return []
        schema = self._schema
        should = tantivy.Occur.Should
        q = tantivy.Query.boolean_query([(should, tantivy.Query.term_query(schema, "body", t)) for t in toks])
        if allowed is not None:
            groups = self._group_metas()
            ok = [g for g, meta in groups.items() if allowed(meta)]
            if not ok:
                return []
            if len(ok) < len(groups):
                only = tantivy.Query.const_score_query(tantivy.Query.term_set_query(schema, "group", ok), 0.0)
                q = tantivy.Query.boolean_query([(tantivy.Occur.Must, q), (tantivy.Occur.Must, only)])
        hits = self._searcher.search(q, k, count=False).hits
        return [(self._searcher.doc(addr)["id"][0], float(score)) for score, addr in hits if score > 0]
