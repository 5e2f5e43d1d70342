"""ingest/filters.py: a search's filters as a Chroma ``where`` clause and as a BM25 predicate keep
the same chunks."""
from __future__ import annotations

import itertools

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from ingest.chunking import published_timestamp
from ingest.filters import chroma_where, lexical_allowed
from ingest.model import Filters

DATES = ["", "1962-07-14", "1970-01-01", "2024-03-01", "2024-03-01T23:59:59+00:00", "2024-03-02", "2024-05-10T08:00:00+00:00"]
CHUNKS = {f"c{n}": {"source": source, "lang": lang, "published": date, "published_ts": published_timestamp(date)}
          for n, (source, lang, date) in enumerate(itertools.product(["Le Monde", "AFP", "The Guardian"], ["fr", "en"], DATES))}
FILTERS = [
    Filters(),
    Filters(source=("AFP",)),
    Filters(source=("Le Monde", "The Guardian")),
    Filters(lang="en"),
    Filters(since="2024-03-01"),
    Filters(until="2024-03-01"),
    Filters(since="2024-03-02", until="2024-05-10"),
    Filters(until="1969-12-31"),
    Filters(as_of="2024-03-01"),
    Filters(as_of="2024-03-01T12:00:00+00:00"),
    Filters(as_of="1962-07-13"),  # before 1970: undated chunks are still kept
    Filters(source=("AFP", "Le Monde"), lang="fr", since="1960-01-01", as_of="2024-03-02"),
]


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    client = chromadb.PersistentClient(path=str(tmp_path_factory.mktemp("filters")),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    col = client.create_collection("chunks", embedding_function=None)
    col.add(ids=list(CHUNKS), embeddings=[[1.0, float(n)] for n in range(len(CHUNKS))], metadatas=list(CHUNKS.values()))
    return col


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_chroma_and_bm25_keep_the_same_chunks(collection, filters):
    where, allowed = chroma_where(filters), lexical_allowed(filters)
    by_chroma = set(collection.get(where=where, include=[])["ids"]) if where else set(CHUNKS)
    by_bm25 = {cid for cid, meta in CHUNKS.items() if allowed is None or allowed(meta)}
    assert by_chroma == by_bm25
    assert (where is None) == (allowed is None) == filters.is_empty()


def test_filters_mean_what_they_say():
    def kept(filters):
        return {(m["source"], m["lang"], m["published"]) for m in CHUNKS.values() if lexical_allowed(filters)(m)}

    assert {d for _, _, d in kept(Filters(until="2024-03-01"))} == {"1962-07-14", "1970-01-01", "2024-03-01",
                                                                     "2024-03-01T23:59:59+00:00"}  # the whole day; no undated
    assert {d for _, _, d in kept(Filters(as_of="1962-07-13"))} == {""}  # only the undated
    assert {(s, lang) for s, lang, _ in kept(Filters(source=("AFP",), lang="en"))} == {("AFP", "en")}
