"""Hybrid search: RRF fusion, filters in both dense and BM25, cross-language retrieval,
collapsing copies of one story, the reranker hook and the LangChain retriever."""
from __future__ import annotations

import json

import pytest
from langchain_core.documents import Document

from bot.answer_types import Filters, Passage
from bot.langchain_retriever import HybridRetriever
from bot.retriever import HybridSearch, SearchConfig, collapse_duplicates, fuse_rrf
from ingest.pipeline import Ingester
from ingest.sentences import SentenceVectors
from ingest.settings import IngestSettings
from ingest.store import Store

WIRE = ("Le port de Marseille a annoncé mardi l'ouverture d'un nouveau terminal pour les navires de croisière, "
        "capable d'accueillir quatre paquebots à la fois. Les travaux ont coûté 120 millions d'euros et ont duré "
        "trois ans, selon la direction du port, qui attend deux millions de passagers par an.")
TINY = [
    {"id": "lemonde-1", "title": "Grève des contrôleurs aériens", "source": "Le Monde", "published": "2024-03-02",
     "lang": "fr", "text": "Les contrôleurs aériens ont entamé une grève de trois jours à Orly. La direction générale de "
     "l'aviation civile a demandé aux compagnies de réduire leurs vols de moitié."},
    {"id": "figaro-1", "title": "Grève à Roissy", "source": "Le Figaro", "published": "2024-05-10", "lang": "fr",
     "text": "Une nouvelle grève des contrôleurs aériens perturbe le trafic à Roissy. Les syndicats réclament des "
     "embauches et une hausse des salaires."},
    {"id": "guardian-1", "title": "Air traffic controllers strike", "source": "The Guardian", "published": "2024-04-15",
     "lang": "en", "text": "French air traffic controllers began a strike that grounded hundreds of flights. Airlines "
     "were asked to cut their schedules by half at Paris airports."},
    {"id": "afp-port", "title": "Marseille : nouveau terminal de croisière", "source": "AFP", "published": "2024-06-01",
     "lang": "fr", "text": WIRE},
    {"id": "ouest-port", "title": "Un terminal pour les paquebots à Marseille", "source": "Ouest-France",
     "published": "2024-06-01", "lang": "fr", "text": WIRE},
]


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory, e5) -> Store:
    """Five short articles from different outlets, dates and languages; two are the same wire story."""
    folder = tmp_path_factory.mktemp("tiny")
    path = folder / "articles.jsonl"
    path.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in TINY) + "\n", encoding="utf-8")
    store = Store(folder / "store", e5)
    report = Ingester(store, IngestSettings()).ingest([str(path)], progress=False)
    assert report.errors == [] and report.articles == len(TINY)
    return store


def test_rrf_orders_by_summed_reciprocal_ranks():
    # a: 1st and 3rd -> 1/11 + 1/13; b: 2nd and 1st -> 1/12 + 1/11; c: only 2nd in one list; d: only 3rd.
    fused = fuse_rrf([["a", "b", "d"], ["b", "c", "a"]], k=10)
    order = sorted(fused, key=fused.get, reverse=True)
    assert order == ["b", "a", "c", "d"]
    assert fused["b"] == pytest.approx(1 / 12 + 1 / 11)
    weighted = fuse_rrf([["a", "b"], ["b", "a"]], weights=[3.0, 1.0], k=10)
    assert weighted["a"] > weighted["b"]  # the heavier list's top wins a tie of ranks


def test_search_fuses_dense_and_lexical_ranks(tiny_store):
    search = HybridSearch(tiny_store, config=SearchConfig(sentence_weight=0.0))
    passages = search.search("grève des contrôleurs aériens à Orly", k=3)
    assert passages[0].article_id == "lemonde-1"
    top = passages[0]
    assert top.dense_rank is not None and top.lexical_rank is not None
    assert top.score == pytest.approx(1 / (10 + top.dense_rank) + 1 / (10 + top.lexical_rank))
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert all(p.sentences == [] for p in passages)


def test_best_sentence_ranking_is_fused_in_and_cached(tiny_store):
    passages = HybridSearch(tiny_store).search("Combien ont coûté les travaux du terminal ?", k=4)
    extra = {}
    for p in passages:
        assert p.sentences and all(0 <= a < b <= len(p.text) for a, b, _ in p.sentences)
        base = sum(1 / (10 + r) for r in (p.dense_rank, p.lexical_rank) if r is not None)
        sentence_rank = 1.5 / (p.score - base) - 10  # the score is base + 1.5 / (10 + rank by best sentence)
        assert sentence_rank == pytest.approx(round(sentence_rank)) and sentence_rank >= 1
        extra[p.chunk_id] = round(sentence_rank)
    by_best_sentence = sorted(passages, key=lambda x: -max(s for *_, s in x.sentences))
    assert [extra[p.chunk_id] for p in by_best_sentence] == sorted(extra.values())
    top = passages[0]
    a, b, _ = max(top.sentences, key=lambda s: s[2])
    assert "120 millions" in top.text[a:b]
    # The vectors were saved beside the store; a new cache on that folder reads them instead of embedding again.
    assert list(tiny_store.sentences.folder.glob("*.npz"))

    class NoEmbedder:
        def embed_documents(self, texts):
            raise AssertionError("should have come from the cache")

    again = SentenceVectors(NoEmbedder(), tiny_store.sentences.folder).vectors([(p.chunk_id, p.text) for p in passages])
    assert set(again) == {p.chunk_id for p in passages}


def test_retrieve_hands_over_the_idf_of_the_index_its_search_read(tiny_store):
    search = HybridSearch(tiny_store)
    got = search.retrieve("grève des contrôleurs aériens", k=3)
    assert [p.chunk_id for p in got.passages] == [p.chunk_id for p in search.search("grève des contrôleurs aériens", k=3)]
    index = tiny_store.lexical()
    assert got.idf("grev") == index.idf("grev") > 0 and got.idf("zorglub") == 0.0


@pytest.mark.parametrize("filters, allowed_ids", [
    (Filters(source=("Le Figaro",)), {"figaro-1"}),
    (Filters(source=("Le Monde", "The Guardian")), {"lemonde-1", "guardian-1"}),
    (Filters(lang="en"), {"guardian-1"}),
    (Filters(since="2024-04-01", until="2024-05-10"), {"figaro-1", "guardian-1"}),
    (Filters(until="2024-03-02"), {"lemonde-1"}),
])
def test_filters_apply_to_dense_and_lexical_search(tiny_store, filters, allowed_ids):
    query = "grève des contrôleurs aériens air traffic strike"
    dense = tiny_store.dense_search(tiny_store.embedder.embed_query(query), 10, filters)
    assert dense and {ch.metadata["article_id"] for ch, _ in dense} <= allowed_ids
    lexical = tiny_store.lexical_search(query, 10, filters)
    by_id = {ch.id: ch.metadata["article_id"] for ch in tiny_store.get_chunks([cid for cid, _ in lexical])}
    assert lexical and set(by_id.values()) <= allowed_ids
    fused = HybridSearch(tiny_store).search(query, k=10, filters=filters)
    assert {p.article_id for p in fused} == allowed_ids


def test_unfiltered_search_reaches_every_language(tiny_store):
    ids = {p.article_id for p in HybridSearch(tiny_store).search("contrôleurs aériens grève strike", k=10)}
    assert {"lemonde-1", "figaro-1", "guardian-1"} <= ids


def test_copies_of_one_wire_story_are_collapsed(tiny_store):
    passages = HybridSearch(tiny_store).search("nouveau terminal de croisière à Marseille", k=5)
    port = [p for p in passages if p.article_id in ("afp-port", "ouest-port")]
    assert len(port) == 1
    assert len(port[0].duplicates) == 1 and port[0].duplicates[0].startswith("ouest-port" if port[0].article_id == "afp-port" else "afp-port")


def test_collapse_keeps_distinct_texts_and_same_article_chunks():
    a = Passage("a-1", WIRE, {"article_id": "a"})
    b = Passage("b-1", WIRE.replace("Marseille", "Toulon"), {"article_id": "b"})  # one word differs: still a copy
    c = Passage("c-1", "Un tout autre sujet : la météo de demain sera pluvieuse sur la Bretagne.", {"article_id": "c"})
    a2 = Passage("a-2", WIRE, {"article_id": "a"})
    kept = collapse_duplicates([a, b, c, a2])
    assert [p.chunk_id for p in kept] == ["a-1", "c-1", "a-2"]
    assert a.duplicates == ["b-1"]


def test_english_question_finds_french_passage(samples_store):
    # three French and three English articles: an English question finds the French one that answers it
    passages = HybridSearch(samples_store).search("When did Trump and Putin last speak before this call?", k=3)
    assert "14 juin" in passages[0].text
    passages = HybridSearch(samples_store).search("When did Notre-Dame cathedral reopen after the fire?", k=3)
    assert "a rouvert le samedi 7 décembre 2024" in passages[0].text


def test_reranker_reorders_the_head(tiny_store):
    class ByLength:
        def rerank(self, query, passages):
            return sorted(passages, key=lambda p: len(p.text))

    reranked = HybridSearch(tiny_store, reranker=ByLength()).search("grève contrôleurs aériens", k=3)
    lengths = [len(p.text) for p in reranked]
    assert lengths == sorted(lengths)
    assert {p.chunk_id for p in reranked} <= {p.chunk_id for p in HybridSearch(tiny_store).search("grève contrôleurs aériens", k=20)}


def test_langchain_retriever_returns_documents_with_offsets(tiny_store):
    retriever = HybridRetriever(search=HybridSearch(tiny_store), k=2, filters=Filters(lang="fr"))
    docs = retriever.invoke("grève des contrôleurs")
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)
    assert all(d.metadata["lang"] == "fr" for d in docs)
    for d in docs:
        assert d.metadata["end"] - d.metadata["start"] == len(d.page_content)
        assert d.metadata["chunk_id"] == d.id
