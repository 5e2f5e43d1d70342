"""The deterministic procedure that grows a store into benchmark tiers (the benchmarks themselves are commands)."""
from __future__ import annotations

import numpy as np
import pytest

from evaluation.benchmarks import NOISE_SIGMA, tier_chunks
from ingest.store import StoredChunk


def _sources(n: int = 5, dim: int = 384):
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    chunks = [StoredChunk(f"a{j}-c", f"texte {j}", {"article_id": f"a{j}", "title": f"T{j}", "start": 3, "end": 10,
                                                     "index": 0}) for j in range(n)]
    return chunks, vecs


def test_tier_copies_are_real_chunks_then_suffixed_perturbed_copies():
    chunks, vecs = _sources()
    out, out_vecs = tier_chunks(chunks, vecs, 12)
    assert len(out) == 12 == len(out_vecs)
    # 12 = 5 real chunks (copy 0), 5 of copy 1, 2 of copy 2
    assert [c.id for c in out[:5]] == [c.id for c in chunks]
    assert out[5].id == "a0-c~1" and out[11].id == "a1-c~2"
    assert out[5].text == "texte 0 [copie 1]" and out[5].article_id == "a0~1"
    assert out[5].metadata["title"] == "T0 [copie 1]" and (out[5].start, out[5].end) == (3, 10)
    np.testing.assert_array_equal(out_vecs[0], vecs[0])
    for v in out_vecs:
        assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    # Noise of sigma 0.02 on 384 dims has norm ~0.02*sqrt(384) = 0.39: cosine ~ 1/sqrt(1 + 0.39^2) = 0.93
    cos = float(np.dot(out_vecs[5], vecs[0]))
    assert 0.88 < cos < 0.97 and NOISE_SIGMA == 0.02
    assert len({c.id for c in out}) == 12


def test_tier_is_deterministic_and_slices_agree_with_the_whole():
    chunks, vecs = _sources()
    whole, whole_vecs = tier_chunks(chunks, vecs, 12)
    again, again_vecs = tier_chunks(chunks, vecs, 12)
    part, part_vecs = tier_chunks(chunks, vecs, 12, start=7, stop=12)
    assert [c.id for c in again] == [c.id for c in whole]
    np.testing.assert_array_equal(np.asarray(again_vecs), np.asarray(whole_vecs))
    assert [c.id for c in part] == [c.id for c in whole[7:]]
    np.testing.assert_array_equal(np.asarray(part_vecs), np.asarray(whole_vecs[7:]))


def test_an_interrupted_tier_build_resumes_after_its_last_batch(tmp_path, e5, monkeypatch):
    from evaluation import benchmarks
    from ingest.store import Store

    chunks, vecs = _sources()
    writes = []
    real = Store.upsert
    monkeypatch.setattr(Store, "upsert", lambda self, cs, *a, **kw: writes.append(len(cs)) or real(self, cs, *a, **kw))

    def stop(message):
        raise KeyboardInterrupt(message)

    folder = tmp_path / "tier-12"
    with pytest.raises(KeyboardInterrupt):
        benchmarks.build_tier(folder, 12, chunks, vecs, e5, batch=5, log=stop)  # stops after the first batch
    assert writes == [5] and not (folder / benchmarks.TIER_MARKER).exists()
    assert benchmarks.build_tier(folder, 12, chunks, vecs, e5, batch=5) > 0
    assert writes == [5, 5, 2]  # resumed, not restarted
    store = Store(folder, e5)
    assert store.count() == 12 == len(store.lexical())
    assert benchmarks.build_tier(folder, 12, chunks, vecs, e5, batch=5) == 0.0 and writes == [5, 5, 2]


@pytest.mark.slow
def test_one_article_write_is_measured_and_undone(tmp_path, e5):
    from bot.settings import BotSettings
    from evaluation.benchmarks import measure_one_article_write
    from ingest.store import Store

    chunks, vecs = _sources()
    store = Store(tmp_path / "tier", e5)
    store.upsert(*tier_chunks(chunks, vecs, 12))
    generation = store.generation()
    res = measure_one_article_write(store, BotSettings(store=store.path))
    assert res["chunks"] >= 1 and res["found_by_bm25_there"] is True
    assert res["ingest_s"] > 0 and res["pickup_by_other_opening_s"] >= 0 and res["delete_s"] > 0
    assert store.count() == 12 == len(store.lexical()) and store.generation() == generation + 2
