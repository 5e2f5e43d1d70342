"""Ingest cost (issue 26) and a bound on the work per article whatever its text (issue 23, M3).

A bulk ``newsbot ingest`` runs the model once per chunk and leaves the sentence vectors to the first
question that retrieves the chunk (the same vectors as an ingest-time embedding); a small one (a few
articles) computes them before it ends; a chunk has at most MAX_SENTENCES of them. Sentence vectors pooled out of the chunk's own pass are an opt-in
engine form (they cost retrieval quality): the store records which kind it holds, an older store
keeps its separately embedded ones, and ``reindex`` moves a store to its engine's kind."""
from __future__ import annotations

import json

import numpy as np
import pytest

from ingest import pipeline
from ingest.chroma_client import COLLECTION, connect
from ingest.e5file import E5File
from ingest.e5onnx import E5OnnxEmbeddings, pool_spans
from ingest.pipeline import Ingester
from ingest.reindex import reindex
from ingest.sentences import MAX_SENTENCES, POOLED, SEPARATE, SentenceVectors, passage_inputs, sentence_spans
from ingest.settings import IngestSettings
from ingest.store import Store

ODD_TEXTS = [
    "Les présidents américain et russe ont eu un entretien jeudi. Leur précédente conversation datait du 14 juin.",
    "Titre\nPremier mot.  Deuxième\u00a0phrase\u00adici…   fin.Début collé",
    "The bank raised rates by 0.5 points on Wednesday — the third rise this year. Markets fell 2%.",
    "… " * 40,
    "",
    "  x ",
]


@pytest.fixture(scope="module")
def pooling() -> E5OnnxEmbeddings:
    return E5OnnxEmbeddings(pool_sentences=True)


class Counting:
    """The real engine, counting the texts it runs through the model."""

    def __init__(self, engine: E5OnnxEmbeddings):
        self.engine, self.name, self.dim, self.pools_sentences = engine, engine.name, engine.dim, engine.pools_sentences
        self.texts = 0

    def embed_documents(self, texts):
        self.texts += len(texts)
        return self.engine.embed_documents(texts)

    def embed_query(self, text):
        return self.engine.embed_query(text)

    def embed_with_sentences(self, texts, spans):
        self.texts += len(texts)
        return self.engine.embed_with_sentences(texts, spans)


def test_token_word_offsets_follow_the_tokenizer():
    tok = E5File.shared().tokenizer
    for text in ODD_TEXTS:
        ids, starts = tok.encode_with_starts(text)
        assert ids == tok.encode(text) and len(starts) == len(ids) and starts == sorted(starts)
    ids, starts = tok.encode_with_starts("Donald Trump  parle.")
    assert sorted(set(starts)) == [0, 7, 14]  # each token points at its word's first character


def test_one_pass_gives_the_passage_vector_and_one_unit_vector_per_sentence(e5, pooling):
    assert not e5.pools_sentences and pooling.pools_sentences  # opt-in
    texts, spans = zip(*(passage_inputs("Un titre", t) for t in ODD_TEXTS[:3]))
    vectors, matrices = pooling.embed_with_sentences(list(texts), list(spans))
    np.testing.assert_allclose(vectors, e5.embed_documents(list(texts)), atol=1e-6)
    for text, sp, m in zip(texts, spans, matrices):
        assert m.shape == (len(sp), e5.dim) and len(sp) >= 2
        np.testing.assert_allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-5)
        separate = np.asarray(e5.embed_documents([text[a:b] for a, b in sp]))
        assert (np.diag(m @ separate.T) > 0.7).all()  # close to the sentence embedded alone


def test_a_text_gets_the_same_vectors_alone_or_batched_with_others(pooling):
    texts, spans = zip(*(passage_inputs("", t) for t in ODD_TEXTS))
    alone = [pooling.embed_with_sentences([t], [s]) for t, s in zip(texts, spans)]
    batched = E5OnnxEmbeddings(batch_size=4, pool_sentences=True)
    vectors, matrices = batched.embed_with_sentences(list(texts), list(spans))
    for (v1, [m1]), v, m in zip(alone, vectors, matrices):
        np.testing.assert_allclose(v, v1[0], atol=1e-5)
        np.testing.assert_allclose(m, m1, atol=1e-5)


def test_the_servers_background_worker_pools_the_same_vectors(pooling):
    from ingest.embedders import BackgroundEmbedder

    texts, spans = zip(*(passage_inputs("Un titre", t) for t in ODD_TEXTS[:2]))
    background = BackgroundEmbedder(pooling, niceness=5)  # the model in a worker process, as in `newsbot serve`
    try:
        assert background.pools_sentences
        vectors, matrices = background.embed_with_sentences(list(texts), list(spans))
    finally:
        background.close()
    mine, my_matrices = pooling.embed_with_sentences(list(texts), list(spans))
    np.testing.assert_allclose(vectors, mine, atol=1e-6)
    for m, m2 in zip(matrices, my_matrices):
        np.testing.assert_allclose(m, m2, atol=1e-6)


def test_a_span_inside_a_word_takes_the_word_and_one_past_the_cut_gets_zeros():
    states = np.arange(12, dtype=np.float32).reshape(4, 3) + 1
    starts = np.array([0, 0, 6, 10])  # two tokens of the word at 0, one each at 6 and 10
    out = pool_spans(states, starts, [(0, 5), (2, 4), (6, 12), (20, 30)], truncated=True)
    np.testing.assert_allclose(out[0], out[1])  # inside the first word: that word's tokens
    assert np.allclose(np.linalg.norm(out[:3], axis=1), 1.0) and not out[3].any()
    assert pool_spans(states, starts, [(20, 30)], truncated=False).any()  # the last word, not cut


def test_sentence_spans_per_chunk_are_bounded_and_cover_the_text_in_order():
    text = "… " * 450 + "Fin."
    spans = sentence_spans(text)
    assert len(spans) == MAX_SENTENCES
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a < b <= c for (a, b), (c, _) in zip(spans, spans[1:]))
    normal = "Une phrase. " * 8
    assert len(sentence_spans(normal.strip())) == 8


def test_a_pathological_article_costs_one_model_pass_per_chunk(e5, pooling, tmp_path):
    source = tmp_path / "dots.jsonl"
    source.write_text(json.dumps({"id": "dots", "title": "Points", "text": "… " * 5000}) + "\n", encoding="utf-8")
    for engine in (e5, pooling):
        counting = Counting(engine)
        store = Store(tmp_path / engine.name / str(engine.pools_sentences), counting)
        report = Ingester(store, IngestSettings(), sentences_now=False).ingest([str(source)], progress=False)
        assert report.chunks_embedded > 5 and not report.errors
        assert counting.texts == report.chunks_embedded  # one pass per chunk: no pass per sentence
        cache = store.sentences
        assert cache.pooled == engine.pools_sentences
        chunks = [(c.id, c.text) for c, _ in store.iter_chunks()]
        rows = [len(m) for m in cache.vectors(chunks).values()]  # the first question's work, if not done
        assert len(rows) == len(chunks) and max(rows) <= MAX_SENTENCES
        assert counting.texts <= report.chunks_embedded * (1 + MAX_SENTENCES)


def test_a_bulk_ingest_leaves_sentence_vectors_to_the_first_question_which_gets_the_same_ones(e5, tmp_path,
                                                                                             samples_file, monkeypatch):
    monkeypatch.setattr(pipeline, "SMALL_INGEST_CHUNKS", 1)  # the samples make a bulk ingest
    lazy, eager = Store(tmp_path / "lazy", e5), Store(tmp_path / "eager", e5)
    report = Ingester(lazy, IngestSettings()).ingest([str(samples_file)], progress=False)
    assert report.chunks_embedded > 1 and report.sentence_seconds == 0
    Ingester(eager, IngestSettings(), sentences_now=True).ingest([str(samples_file)], progress=False)
    assert lazy.sentences.cached_ids() == set() and lazy.chunk_ids() == eager.chunk_ids()
    assert eager.sentences.cached_ids() == eager.chunk_ids()
    chunks = [(c.id, c.text) for c, _ in lazy.iter_chunks()]
    first = lazy.sentences.vectors(chunks)  # what the retriever does on a first question
    ingested = eager.sentences.vectors(chunks)
    for cid, _ in chunks:
        np.testing.assert_allclose(first[cid], ingested[cid], atol=1e-6)
    assert SentenceVectors(e5, lazy.sentences.folder).cached_ids() == lazy.chunk_ids()  # kept on disk


def test_a_small_ingest_gives_its_sentences_their_vectors_before_it_ends(e5, tmp_path, samples_file):
    small, lazy = Store(tmp_path / "small", e5), Store(tmp_path / "lazy", e5)
    report = Ingester(small, IngestSettings()).ingest([str(samples_file)], progress=False)
    assert 0 < report.chunks_embedded <= pipeline.SMALL_INGEST_CHUNKS and report.sentence_seconds > 0
    assert SentenceVectors(e5, small.sentences.folder).cached_ids() == small.chunk_ids()  # on disk
    Ingester(lazy, IngestSettings(), sentences_now=False).ingest([str(samples_file)], progress=False)
    assert lazy.sentences.cached_ids() == set()
    chunks = [(c.id, c.text) for c, _ in lazy.iter_chunks()]
    first, ingested = lazy.sentences.vectors(chunks), small.sentences.vectors(chunks)
    for cid, _ in chunks:
        np.testing.assert_allclose(first[cid], ingested[cid], atol=1e-6)
    again = Ingester(small, IngestSettings()).ingest([str(samples_file)], progress=False)
    assert again.chunks_embedded == 0 and again.sentence_seconds == 0  # nothing new, nothing embedded


def test_a_new_store_records_how_its_sentence_vectors_are_made(e5, pooling, tmp_path):
    assert Store(tmp_path / "s", e5).sentence_method == SEPARATE
    store = Store(tmp_path / "p", pooling)
    assert store.sentence_method == POOLED == store.collection.metadata["sentences"]
    assert store.sentences.folder.name.endswith("-pooled")


def test_an_older_store_keeps_its_separate_sentence_vectors_and_reindex_moves_it_over(e5, pooling, tmp_path,
                                                                                      samples_file):
    path = tmp_path / "old"
    # A store as the code before the record made it: no "sentences" key in the collection.
    connect(path, "").get_or_create_collection(COLLECTION, metadata={"embedder": e5.name, "dim": e5.dim, "generation": 0},
                                               configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    counting = Counting(pooling)
    store = Store(path, counting)
    assert store.sentence_method == SEPARATE
    report = Ingester(store, IngestSettings(), sentences_now=True).ingest([str(samples_file)], progress=False)
    chunks = [(c.id, c.text) for c, _ in store.iter_chunks()]
    n_sentences = sum(len(sentence_spans(t)) for _, t in chunks)
    assert counting.texts == report.chunks_embedded + n_sentences  # the store's way: one pass per sentence
    old_cache = store.sentences
    assert not old_cache.pooled and old_cache.cached_ids() == store.chunk_ids()
    old = old_cache.vectors(chunks)

    assert reindex(path, pooling) == len(chunks)
    moved = Store(path, pooling)
    assert moved.sentence_method == POOLED
    cache = SentenceVectors(pooling, moved.sentences.folder, POOLED)  # read back from disk
    assert cache.cached_ids() == moved.chunk_ids()
    new = cache.vectors(chunks)
    assert all(new[cid].shape == old[cid].shape for cid, _ in chunks)


@pytest.fixture
def samples_file():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "samples" / "articles.jsonl"
