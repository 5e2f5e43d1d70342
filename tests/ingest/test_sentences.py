"""ingest/sentences.py: a write adds sentence vectors without reading the cache."""
from __future__ import annotations

from ingest.sentences import SentenceVectors


class _CountingEmbedder:
    def __init__(self, embedder):
        self.inner, self.name, self.texts = embedder, embedder.name, 0

    def embed_documents(self, texts):
        self.texts += len(texts)
        return self.inner.embed_documents(texts)


def test_a_write_adds_sentence_vectors_without_reading_the_cache(tmp_path, e5):
    embedder = _CountingEmbedder(e5)
    folder = tmp_path / "sentence-vectors"
    SentenceVectors(embedder, folder).vectors([("old", "A first chunk. It is cached already.")])
    assert embedder.texts == 2

    writer = SentenceVectors(embedder, folder)
    writer.add([("new", "A new chunk. The write embeds it. Then it is saved.")])
    assert embedder.texts == 5 and not writer._loaded  # only the new chunk's three sentences
    assert len(list(folder.glob("*.npz"))) == 2

    reader = SentenceVectors(embedder, folder)  # a serving process opening the store later
    got = reader.vectors([("old", "A first chunk. It is cached already."),
                          ("new", "A new chunk. The write embeds it. Then it is saved.")])
    assert embedder.texts == 5  # both read back from disk, nothing embedded again
    assert got["old"].shape == (2, 384) and got["new"].shape == (3, 384)
