"""Issue 23 M8: the chat's uploads do not pile up on disk, and a page of another site cannot upload
(or call a Gradio event) the way it cannot call the REST API. Real servers on a real store; the
upload and the add-articles event go through Gradio's own HTTP protocol."""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
import pytest

import ui.app
from bot.runtime import Runtime
from ingest.pipeline import Ingester
from ingest.store import Store
from ui.server import BackgroundServer, create_app
from ui.settings import Settings

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "articles.jsonl"


@pytest.fixture(scope="module")
def store(tmp_path_factory, e5) -> Store:
    path = tmp_path_factory.mktemp("uploads-store")
    store = Store(path, e5)
    assert Ingester(store, Settings(store=path)).ingest([str(SAMPLES)], progress=False).errors == []
    return store


def _serve(store: Store, tmp_path_factory) -> BackgroundServer:
    settings = Settings(store=store.path, feedback_log=tmp_path_factory.mktemp("fb") / "f.jsonl",
                        rate_limit_per_minute=100_000)
    return BackgroundServer(create_app(settings, Runtime.from_store(store))).start()


@pytest.fixture(scope="module")
def server(store, tmp_path_factory):
    s = _serve(store, tmp_path_factory)
    yield s
    s.stop()


def _article(marker: str) -> bytes:
    return (f"Lighthouse {marker} restored\n\nThe old lighthouse of the harbour reopened to visitors on "
            f"Saturday after two years of work; its keeper, {marker}, lit the lamp again.\n").encode()


def _upload(url: str, name: str, content: bytes, **headers) -> httpx.Response:
    return httpx.post(url + "/gradio_api/upload", files={"files": (name, content, "text/plain")}, headers=headers,
                      timeout=60)


def _add_articles(url: str, path: str, name: str) -> str:
    """Call the add-articles event with an uploaded file, by Gradio's queue protocol."""
    config = httpx.get(url + "/config", timeout=30).json()
    kinds = {c["id"]: c["type"] for c in config["components"]}
    dep = next(d for d in config["dependencies"] if "file" in [kinds.get(i) for i in d["inputs"]])
    data = [[{"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}], "", "en"]
    session = uuid.uuid4().hex
    body = {"data": data, "fn_index": dep["id"], "session_hash": session, "event_data": None, "trigger_id": None}
    with httpx.Client(base_url=url, timeout=180) as http:
        assert http.post("/gradio_api/queue/join", json=body).status_code == 200
        out = []
        with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                out.append(line)
                if "process_completed" in line or "close_stream" in line:
                    break
    return "\n".join(out)


def test_an_upload_is_deleted_once_ingested_and_cannot_be_named_again(server):
    marker = f"Keeper{uuid.uuid4().hex[:8]}"
    r = _upload(server.url, "lighthouse.txt", _article(marker))
    assert r.status_code == 200, r.text
    (path,) = r.json()
    assert Path(path).is_file()
    assert "Done" in _add_articles(server.url, path, "lighthouse.txt")
    titles = [a["title"] for a in httpx.get(server.url + "/api/articles", params={"limit": 200}).json()["articles"]]
    assert f"Lighthouse {marker} restored" in titles
    deadline = time.monotonic() + 10  # deleted by the ingest thread as it ends
    while Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(path).exists() and not Path(path).parent.exists()
    again = _add_articles(server.url, path, "lighthouse.txt")
    assert "Done" not in again and ("not uploaded to this server" in again or '"success":false' in again)


def test_a_cross_site_upload_or_event_is_refused(server):
    r = _upload(server.url, "x.txt", _article("Cross"), Origin="http://evil.example")
    assert r.status_code == 403 and "not allowed" in r.text
    join = httpx.post(server.url + "/gradio_api/queue/join", json={"data": [], "fn_index": 0, "session_hash": "x"},
                      headers={"Origin": "http://evil.example"}, timeout=30)
    assert join.status_code == 403
    same = _upload(server.url, "x.txt", _article("Same"), Origin=server.url)  # the chat page itself
    assert same.status_code == 200
    Path(json.loads(same.text)[0]).unlink()


def test_uploads_never_ingested_are_swept(store, tmp_path_factory, monkeypatch):
    monkeypatch.setattr(ui.app, "UPLOAD_SWEEP", (1, 1))  # the real sweep, on a short clock
    s = _serve(store, tmp_path_factory)
    try:
        r = _upload(s.url, "left.txt", _article("Left"))
        (path,) = r.json()
        assert Path(path).is_file()
        deadline = time.monotonic() + 15
        while Path(path).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not Path(path).exists()
    finally:
        s.stop()
