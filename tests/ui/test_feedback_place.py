"""👍/👎 are kept beside the store they rate (or where NEWSBOT_FEEDBACK_LOG says), never in the
folder the server happens to be started from (the repository, in the quick start)."""
import json

import httpx
import pytest
from samples_live import README_QUESTION, samples_store, serve

from ui.settings import Settings


@pytest.fixture(scope="module")
def store(tmp_path_factory, e5):
    return samples_store(tmp_path_factory.mktemp("samples-store"), e5)


def rate(server, rating: str) -> None:
    with httpx.Client(base_url=server.url, timeout=120) as http:
        answer = http.post("/api/ask", json={"question": README_QUESTION}).json()
        r = http.post("/api/feedback", json={"rating": rating, "question": README_QUESTION, "answer": answer})
        assert r.status_code == 200, r.text


def test_feedback_goes_into_the_store_folder(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSBOT_FEEDBACK_LOG", raising=False)
    server = serve(store)
    try:
        rate(server, "up")
    finally:
        server.stop()
    entry = json.loads((store.path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert entry["rating"] == "up" and entry["question"] == README_QUESTION
    assert list(tmp_path.iterdir()) == []  # nothing in the working folder


def test_newsbot_feedback_log_names_another_place(store, tmp_path, monkeypatch):
    target = tmp_path / "ratings" / "thumbs.jsonl"
    monkeypatch.setenv("NEWSBOT_FEEDBACK_LOG", str(target))
    assert Settings(store=store.path).feedback_path() == target
    server = serve(store)
    try:
        rate(server, "down")
    finally:
        server.stop()
    assert json.loads(target.read_text(encoding="utf-8"))["rating"] == "down"
