"""Baselines over the real fixture stores: article reconstruction, BM25 alone, dense alone, LangChain."""
from __future__ import annotations

import pytest
from newsbot_testdata import read_jsonl

from bot.answer_types import Passage
from evaluation.baselines import BM25Baseline, DenseBaseline, LangChainBaseline, best_sentence_answer, reconstruct_articles
from evaluation.metrics import normalize


def test_reconstructed_articles_match_the_originals(piaf_small_store, piaf_small):
    originals = {r["id"]: r for r in read_jsonl(piaf_small)}
    rebuilt = {a.id: a for a in reconstruct_articles(piaf_small_store)}
    assert set(rebuilt) == set(originals)
    for aid, art in rebuilt.items():
        # Same words in the same order; only whitespace no chunk covers may differ.
        assert normalize(art.text) == normalize(originals[aid]["text"]), aid
        assert art.title == originals[aid]["title"]
    # Offsets are kept: every chunk sits at its own start/end in the rebuilt text.
    for ch, _ in piaf_small_store.iter_chunks():
        art = rebuilt[ch.metadata["article_id"]]
        assert art.text[ch.metadata["start"]:ch.metadata["end"]] == ch.text


def _p(text: str) -> Passage:
    return Passage("c", text, {"article_id": "a", "start": 0, "end": len(text)})


def test_best_sentence_answer_quotes_the_top_passage_sentence_with_most_question_words():
    top = _p("Le temps est gris. Le Rouillon débute à Villejust. Fin.")
    ans = best_sentence_answer("Où débute le Rouillon ?", [top, _p("Le Rouillon débute ailleurs.")])
    # "débute" and "rouillon" (2 words) beat the other sentences (0 words); only the top passage is used.
    assert ans.answer == "Le Rouillon débute à Villejust. [1]"
    assert ans.refused is False and [c.n for c in ans.citations] == [1]
    assert ans.citations[0].highlight == [[19, 50]]


def test_best_sentence_answer_without_passages_is_empty_not_a_refusal():
    ans = best_sentence_answer("?", [])
    assert ans.answer == "" and ans.refused is False and ans.citations == []


def test_bm25_baseline_ranks_the_chunk_with_the_rare_words_first(piaf_small_store):
    target = next(ch for ch, _ in piaf_small_store.iter_chunks() if ch.metadata["article_id"] == "piaf-003")
    query = " ".join(target.text.split()[:25])
    ans = BM25Baseline(piaf_small_store).ask(query, 3)
    assert ans.passages[0].chunk_id == target.id
    assert [p.lexical_rank for p in ans.passages] == list(range(1, len(ans.passages) + 1))
    assert all(p.dense_rank is None for p in ans.passages)


def test_dense_baseline_returns_k_passages_by_falling_similarity(piaf_small_store):
    ans = DenseBaseline(piaf_small_store).ask("Quel ruisseau débute à Villejust ?", 4)
    sims = [p.dense_score for p in ans.passages]
    assert len(sims) == 4 and sims == sorted(sims, reverse=True)
    assert all(p.lexical_rank is None for p in ans.passages)
    assert ans.citations[0].chunk_id == ans.passages[0].chunk_id


@pytest.fixture(scope="module")
def minilm():
    from ingest.embedders import make_embedder

    return make_embedder("minilm")


@pytest.fixture(scope="module")
def langchain_baseline(seed_store, minilm):
    baseline = LangChainBaseline(seed_store, minilm, chunk_size=100, chunk_overlap=20)
    yield baseline
    baseline.close()


def test_langchain_baseline_resplits_the_articles_and_keeps_offsets(langchain_baseline, seed_store):
    article = reconstruct_articles(seed_store)[0]
    # RecursiveCharacterTextSplitter at 100 characters cuts the ~600-character article in 6 or more pieces,
    # so it really re-split the text instead of reusing the store's 900-character chunks.
    assert langchain_baseline.documents >= len(article.text) // 100 >= 6
    ans = langchain_baseline.ask("Trump Poutine appel téléphonique", 3)
    assert len(ans.passages) == 3
    for p in ans.passages:
        assert len(p.text) <= 100
        assert article.text[p.start:p.end] == p.text


def test_langchain_baseline_close_removes_its_temporary_collection(seed_store, minilm):
    from pathlib import Path

    baseline = LangChainBaseline(seed_store, minilm, chunk_size=2000, chunk_overlap=0)
    folder = Path(baseline._dir.name)
    assert any(folder.iterdir())
    baseline.close()
    assert not folder.exists()


def test_langchain_baseline_writes_in_batches_the_client_accepts(seed_store, minilm, tmp_path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(tmp_path / "lc"), settings=ChromaSettings(anonymized_telemetry=False))
    sizes = []
    real_upsert = None

    class SmallBatches:
        """The real client, declaring a small maximum batch and recording the writes it gets."""

        def __getattr__(self, name):
            return getattr(client, name)

        def get_max_batch_size(self):
            return 5

        def get_or_create_collection(self, *args, **kwargs):
            nonlocal real_upsert
            col = client.get_or_create_collection(*args, **kwargs)
            real_upsert = col.upsert

            def upsert(*a, **kw):
                sizes.append(len(kw.get("ids") or a[0]))
                return real_upsert(*a, **kw)

            col.upsert = upsert
            return col

    baseline = LangChainBaseline(seed_store, minilm, chunk_size=100, chunk_overlap=20, client=SmallBatches())
    try:
        assert baseline.documents > 5 and max(sizes) <= 5 and sum(sizes) == baseline.documents
        assert client.get_collection("langchain-baseline").count() == baseline.documents
    finally:
        baseline.close()
