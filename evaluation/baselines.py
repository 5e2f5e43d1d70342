"""Baseline systems the evaluation runs side by side with ``NewsBot``, over the same store contents.

Each system has a ``name``, a one-line ``description`` and ``ask(question, k, as_of) -> Answer``,
the same plain data the bot returns, so one scorer serves all. Baselines never refuse and
ignore ``as_of``. Their answer
is the sentence of their top passage sharing the most words with the question, cited ``[1]``.
"""
from __future__ import annotations

import tempfile
from collections import defaultdict
from typing import Protocol

from bot.answer_types import Answer, Citation, Passage
from ingest.chunking import split_sentences
from ingest.lexical import words
from ingest.model import Article
from ingest.store import Store


class System(Protocol):
    name: str
    description: str

    def ask(self, question: str, k: int, as_of: str = "") -> Answer: ...


def best_sentence_answer(question: str, passages: list[Passage]) -> Answer:
    """The sentence of the top passage with the most question words, cited ``[1]`` (never a refusal)."""
    if not passages:
        return Answer(question=question, answer="", refused=False, passages=[])
    top = passages[0]
    q = set(words(question))
    best = None
    for a, b in split_sentences(top.text) or [(0, len(top.text))]:
        overlap = len(q & set(words(top.text[a:b])))
        if best is None or overlap > best[0]:
            best = (overlap, a, b)
    assert best is not None  # split_sentences gives at least the whole text
    _, a, b = best
    cit = Citation.from_passage(1, top, [[a, b]])
    return Answer(question=question, answer=f"{top.text[a:b]} [1]", refused=False, citations=[cit],
                  answerer="best-sentence", passages=passages)


class NewsBotSystem:
    """The bot itself, through its single entry point ``NewsBot.ask``; with ``use_as_of=False``
    every question is asked as of today, whatever date the question record gives."""

    WITHOUT_AS_OF = "newsbot-no-as-of"

    def __init__(self, bot, use_as_of: bool = True, name: str = ""):
        self.bot = bot
        self.use_as_of = use_as_of
        self.name = name or ("newsbot" if use_as_of else self.WITHOUT_AS_OF)
        answerer = bot.answerer.answerer_name
        self.description = ("NewsBot.ask: the bot as users get it (hybrid retrieval, its answerer, its refusals), "
                            + ("each question asked as of its as_of date" if use_as_of
                               else "every question asked as of today (its as_of ignored)")
                            + (", answering with the trained reader" if answerer == "reader"
                               else ", answering with the hand-weighted sentence scorer" if answerer == "extractive"
                               else ""))

    def ask(self, question: str, k: int, as_of: str = "") -> Answer:
        return self.bot.ask(question, k=k, as_of=as_of if self.use_as_of else None)


class BM25Baseline:
    """The store's own BM25 index alone: no dense search, no fusion."""

    name = "bm25"
    description = "BM25 alone: the store's lexical index (tantivy BM25 over stemmed, accent-folded words), top-k"

    def __init__(self, store: Store):
        self.store = store

    def ask(self, question: str, k: int, as_of: str = "") -> Answer:
        hits = self.store.lexical().search(question, k)
        scores = dict(hits)
        passages = [Passage(ch.id, ch.text, ch.metadata, score=scores[ch.id], lexical_rank=rank,
                            lexical_score=scores[ch.id])
                    for rank, ch in enumerate(self.store.get_chunks([cid for cid, _ in hits]), 1)]
        return best_sentence_answer(question, passages)


class DenseBaseline:
    """The store's vectors alone: cosine similarity to the question's embedding, top-k."""

    name = "dense"
    description = "dense alone: the store's embedder and Chroma vectors (cosine), top-k"

    def __init__(self, store: Store):
        self.store = store
        self.description = f"dense alone: {store.embedder.name} vectors of the store in Chroma (cosine), top-k"

    def ask(self, question: str, k: int, as_of: str = "") -> Answer:
        vec = self.store.embedder.embed_query(question)
        passages = [Passage(ch.id, ch.text, ch.metadata, score=sim, dense_rank=rank, dense_score=sim)
                    for rank, (ch, sim) in enumerate(self.store.dense_search(vec, k), 1)]
        return best_sentence_answer(question, passages)


def reconstruct_articles(store: Store) -> list[Article]:
    """The articles of ``store``, rebuilt from their chunks' text and ``start``/``end`` offsets.

    Chunks are trimmed of surrounding whitespace, so the characters no chunk covers are
    whitespace in the original: a one-character gap becomes a space, a longer one line breaks
    (a paragraph break). Offsets into the rebuilt text equal offsets into the original.
    """
    groups: dict[str, list] = defaultdict(list)
    for ch, _ in store.iter_chunks():
        groups[ch.metadata.get("article_id", "")].append(ch)
    articles = []
    for aid in sorted(groups):
        chunks = groups[aid]
        size = max(int(c.metadata.get("end", 0)) for c in chunks)
        chars: list[str | None] = [None] * size
        for c in chunks:
            start = int(c.metadata.get("start", 0))
            chars[start:start + len(c.text)] = list(c.text)
        out, gap = [], 0
        for ch in chars + ["\x00"]:
            if ch is None:
                gap += 1
                continue
            if gap:
                out.append(" " if gap == 1 else "\n" * gap)
                gap = 0
            out.append(ch)
        m = chunks[0].metadata
        articles.append(Article(id=aid, title=m.get("title", ""), text="".join(out[:-1]), source=m.get("source", ""),
                                url=m.get("url", ""), published=m.get("published", ""), lang=m.get("lang", "")))
    return articles


class LangChainBaseline:
    """A plain LangChain pipeline: RecursiveCharacterTextSplitter, all-MiniLM-L6-v2, Chroma similarity search.

    It re-splits the store's articles (rebuilt from chunk offsets) with the store's chunk size and
    overlap and indexes them into a temporary Chroma collection (or one of ``client``), deleted
    by :meth:`close`, writing batches no larger than the client's ``get_max_batch_size()``.
    """

    name = "langchain"

    def __init__(self, store: Store, embeddings, chunk_size: int = 900, chunk_overlap: int = 150, client=None):
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.description = (f"plain LangChain: RecursiveCharacterTextSplitter({chunk_size}/{chunk_overlap}), "
                            f"{getattr(embeddings, 'name', type(embeddings).__name__)}, Chroma similarity_search, top-k")
        splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap,
                                                  add_start_index=True)
        articles = reconstruct_articles(store)
        docs = splitter.create_documents(
            [a.text for a in articles],
            metadatas=[{"article_id": a.id, "title": a.title, "source": a.source, "url": a.url,
                        "published": a.published, "lang": a.lang} for a in articles])
        self.documents = len(docs)
        self._dir = tempfile.TemporaryDirectory(prefix="newsbot-langchain-")
        self.client = client or chromadb.PersistentClient(path=self._dir.name,
                                                          settings=ChromaSettings(anonymized_telemetry=False))
        self.vectorstore = Chroma(collection_name="langchain-baseline", embedding_function=embeddings,
                                  client=self.client)
        ids = [f"{d.metadata['article_id']}-{d.metadata['start_index']}" for d in docs]
        # Chroma refuses a write larger than its client's maximum batch (5,461 with SQLite).
        batch = self.client.get_max_batch_size()
        for i in range(0, len(docs), batch):
            self.vectorstore.add_documents(docs[i:i + batch], ids=ids[i:i + batch])

    def ask(self, question: str, k: int, as_of: str = "") -> Answer:
        passages = []
        for rank, doc in enumerate(self.vectorstore.similarity_search(question, k=k), 1):
            start = int(doc.metadata.get("start_index", 0))
            meta = dict(doc.metadata, start=start, end=start + len(doc.page_content))
            passages.append(Passage(doc.id or f"{meta.get('article_id')}-{start}", doc.page_content, meta,
                                    dense_rank=rank))
        return best_sentence_answer(question, passages)

    def close(self) -> None:
        self._dir.cleanup()
