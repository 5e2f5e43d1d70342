"""ingest/pipeline.py: idempotent ingestion, replacement of changed articles, reports and progress."""
from __future__ import annotations

import json

import pytest
from local_services import write_article
from newsbot_testdata import sample

from ingest.pipeline import Ingester
from ingest.settings import IngestSettings
from ingest.store import Store


@pytest.fixture
def store(tmp_path, e5) -> Store:
    return Store(tmp_path / "store", e5)


def ingest(store, *inputs, **settings):
    errors = []
    # sentences_now: as a server ingests (newsbot ingest leaves sentence vectors to the first question)
    report = Ingester(store, IngestSettings(**settings), sentences_now=True).ingest(
        [str(i) for i in inputs], progress=False, on_error=errors.append)
    return report, errors


def chroma_ids(store) -> set[str]:
    return {ch.id for ch, _ in store.iter_chunks()}


def test_same_input_twice_adds_and_embeds_nothing(tmp_path, store):
    docs = tmp_path / "docs"
    write_article(docs, "a.md", "Grève à la SNCF", "Les cheminots sont en grève depuis lundi. Le trafic est perturbé.")
    write_article(docs, "sub/b.md", "Storm on the coast", "A storm cut power to thousands of homes on Monday.")
    first, errors = ingest(store, docs)
    assert errors == []
    assert (first.inputs, first.articles, first.articles_new) == (2, 2, 2)
    assert first.chunks_embedded == store.count() == 2
    ids_before = chroma_ids(store)
    again, _ = ingest(store, docs)
    assert again.chunks_embedded == 0
    assert (again.articles_unchanged, again.articles_new, again.articles_changed) == (2, 0, 0)
    assert again.chunks_unchanged == 2 and again.chunks_removed == 0
    assert chroma_ids(store) == ids_before
    assert store.stats()["articles"] == 2 and store.stats()["lexical_chunks"] == 2


def test_changed_article_replaces_its_old_chunks_and_bm25_follows(tmp_path, store):
    docs = tmp_path / "docs"
    path = write_article(docs, "a.md", "Budget", "Le ministre a présenté le budget des armées mardi matin.",
                         "Les crédits des hélicoptères augmentent de dix pour cent.")
    ingest(store, docs, chunk_size=100, chunk_overlap=0)
    assert store.count() == 2
    assert store.lexical().search("hélicoptères")
    write_article(docs, "a.md", "Budget", "Le ministre a présenté le budget des armées mardi matin.",
                  "Les crédits des sous-marins baissent fortement cette année.")
    report, _ = ingest(store, path, chunk_size=100, chunk_overlap=0)
    assert (report.articles_changed, report.chunks_embedded, report.chunks_removed) == (1, 1, 1)
    assert report.chunks_unchanged == 0 and report.chunks_relabelled == 1  # first paragraph: same text, new hash
    texts = sorted(ch.text for ch, _ in store.iter_chunks())
    assert texts == ["Le ministre a présenté le budget des armées mardi matin.",
                     "Les crédits des sous-marins baissent fortement cette année."]
    lexical = store.lexical()
    assert sorted(lexical.ids) == sorted(chroma_ids(store))
    assert lexical.search("hélicoptères") == []
    assert lexical.search("sous-marins")
    assert store.incomplete_articles() == []
    # The replaced chunk's sentence vectors are dropped too, on disk, not only in memory.
    from ingest.sentences import SentenceVectors

    assert SentenceVectors(_NoEmbedder(), store.sentences.folder).cached_ids() == chroma_ids(store)


def test_metadata_only_change_relabels_without_embedding(tmp_path, store):
    path = tmp_path / "feed.jsonl"
    rec = {"id": "r1", "title": "La BCE maintient ses taux", "text": "La BCE a maintenu ses taux directeurs à 4,5 %.",
           "published": "2024-03-07"}
    path.write_text(json.dumps(rec) + "\n")
    ingest(store, path)
    path.write_text(json.dumps(rec | {"published": "2024-03-08"}) + "\n")
    report, _ = ingest(store, path)
    assert (report.articles_changed, report.chunks_embedded, report.chunks_relabelled) == (1, 0, 1)
    assert [a["published"] for a in store.articles()] == ["2024-03-08"]
    # a new title changes what the embedder sees: re-embedded
    path.write_text(json.dumps(rec | {"title": "Statu quo à Francfort"}) + "\n")
    report, _ = ingest(store, path)
    assert report.chunks_embedded == 1 and store.count() == 1
    assert [a["title"] for a in store.articles()] == ["Statu quo à Francfort"]


def test_bad_inputs_are_reported_and_the_batch_goes_on(tmp_path, store):
    docs = tmp_path / "docs"
    write_article(docs, "good.md", "Élections", "Les électeurs votent dimanche pour le second tour.")
    (docs / "bad.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    (docs / "dup.jsonl").write_text(json.dumps({"id": "x", "title": "X", "text": "Un premier texte."}) + "\n"
                                    + json.dumps({"id": "x", "title": "X", "text": "Un second texte."}) + "\n")
    report, errors = ingest(store, docs, tmp_path / "missing.md")
    assert report.articles == 2 and store.count() == 2
    assert errors == report.errors and len(errors) == 3
    assert any(e.startswith(str(docs / "bad.txt") + ": binary content") for e in errors)
    assert any("article 'x' appears twice in this batch" in e for e in errors)
    assert any(e.startswith(str(tmp_path / "missing.md") + ": no such file") for e in errors)
    assert "3 inputs or records skipped" in report.summary()


def test_progress_bar_and_summary(tmp_path, store, capsys):
    docs = tmp_path / "docs"
    write_article(docs, "a.md", "Titre", "Un texte assez court pour un seul morceau.")
    report = Ingester(store, IngestSettings()).ingest([str(docs)], progress=True)
    err = capsys.readouterr().err
    assert "ingest: " in err and "1 chunks" in err and "embedded=1" in err  # the tqdm bar and its postfix
    summary = report.summary()
    assert summary.startswith("1 articles from 1 inputs: 1 new, 0 changed, 0 unchanged; 1 chunks embedded")
    assert report.to_dict()["skipped"] == 0


def test_seed_corpus_is_ingested_whole(seed_store):
    [article] = seed_store.articles()
    assert article["lang"] == "fr"
    text = sample()["text"]  # the seed article is the sample on the Trump–Putin call, ingested as a text file
    chunks = sorted((ch for ch, _ in seed_store.iter_chunks()), key=lambda c: c.metadata["index"])
    assert len(chunks) == article["chunks"] == chunks[0].metadata["article_chunks"]
    for ch in chunks:
        assert ch.text in text
        assert ch.metadata["end"] - ch.metadata["start"] == len(ch.text)
    joined = " ".join(ch.text for ch in chunks)
    assert "Truth Social" in joined and "Patriot" in joined  # its first and last paragraphs


class _NoEmbedder:
    """Fails if asked to embed: proves vectors come from the cache written at ingestion."""

    name = "none"

    def embed_documents(self, texts):
        raise AssertionError(f"embedded {len(texts)} texts again")


def test_ingest_embeds_the_sentences_of_new_chunks_once(tmp_path, store):
    from ingest.sentences import SentenceVectors, sentence_spans

    write_article(tmp_path / "in", "a.md", "Orchard report",
                  "Apple growers in Normandy picked early this year. Frost in April cut the harvest by a third.",
                  "Cider makers expect higher prices. Exports to Japan doubled since 2019.")
    report, errors = ingest(store, tmp_path / "in")
    assert errors == [] and report.chunks_embedded >= 1
    chunks = [(ch.id, ch.text) for ch, _ in store.iter_chunks()]
    folder = store.sentences.folder
    cached = SentenceVectors(_NoEmbedder(), folder).vectors(chunks)
    assert set(cached) == {cid for cid, _ in chunks}
    assert all(len(cached[cid]) == len(sentence_spans(text)) for cid, text in chunks)
