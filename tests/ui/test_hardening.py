"""The server under attack: no client makes it read its own files, every input is bounded and
answered with a 4xx, one token and one rate limit cover every door, hosts and framing are
restricted. Real servers on real stores; the Gradio API is driven through ``gradio_client`` and
through its raw queue protocol."""
from __future__ import annotations

import json
import tempfile
import threading
import uuid
from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from ui_live import SEED_QUESTION, build_store

from ui.feedback import FeedbackLog
from ui.server import BackgroundServer, create_app

# Unique per run, so that a copy left in Gradio's shared folder by another run cannot match.
SECRET_TEXT = f"Quarterly payroll of the newsbot operator: the secret marker is Zanzibar-7431-{uuid.uuid4().hex}."


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory) -> Path:
    """A file on the server that no client may read: outside Gradio's upload folder."""
    folder = tmp_path_factory.mktemp("server-private")
    path = folder / "payroll.txt"
    path.write_text(f"Payroll\n\n{SECRET_TEXT}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hard_store(tmp_path_factory, e5, seed_dir):
    return build_store(tmp_path_factory.mktemp("hardening-store"), e5, [str(seed_dir)])


@pytest.fixture(scope="module")
def hard_server(start_server, hard_store):
    return start_server(hard_store, max_upload_bytes=1_000_000)


def file_data(path: Path, with_meta: bool) -> dict:
    data = {"path": str(path), "orig_name": path.name, "size": path.stat().st_size}
    return data | ({"meta": {"_type": "gradio.FileData"}} if with_meta else {})


def dependencies(url: str) -> list[dict]:
    config = httpx.get(url + "/config", timeout=30).json()
    kinds = {c["id"]: c["type"] for c in config["components"]}
    return [d | {"input_kinds": [kinds.get(i) for i in d["inputs"]]} for d in config["dependencies"]]


def call_event(url: str, dep: dict, data: list) -> str:
    """Everything the server sends back for one event called with ``data``, raw protocol:
    queued events through /gradio_api/queue/join and the SSE stream, others through /run/predict."""
    session = uuid.uuid4().hex
    body = {"data": data, "fn_index": dep["id"], "session_hash": session, "event_data": None, "trigger_id": None}
    with httpx.Client(base_url=url, timeout=120) as http:
        if not dep.get("queue"):
            r = http.post("/gradio_api/run/predict", json=body)
            return f"{r.status_code} {r.text}"
        r = http.post("/gradio_api/queue/join", json=body)
        if r.status_code != 200:
            return f"{r.status_code} {r.text}"
        out = []
        with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                out.append(line)
                if "process_completed" in line or "close_stream" in line:
                    break
        return "\n".join(out)


def assert_secret_stayed_private(url: str, secret: Path, responses: list[str]) -> None:
    from gradio.utils import get_upload_folder

    for text in responses:
        assert "Zanzibar-7431" not in text
    with httpx.Client(base_url=url, timeout=60) as http:
        articles = http.get("/api/articles", params={"limit": 200}).json()["articles"]
        assert not any("payroll" in (a["url"] + a["title"]).lower() for a in articles)
        answer = http.post("/api/ask", json={"question": "What is the secret marker of the payroll?"}).json()
        assert "Zanzibar" not in json.dumps(answer)
        for route in (f"/gradio_api/file={secret}", f"/gradio_api/file/{secret}"):
            r = http.get(route)
            assert r.status_code in (403, 404) and "Zanzibar" not in r.text
    # No copy of the file where /gradio_api/file= would serve it.
    copies = [p for p in Path(get_upload_folder()).rglob("*")
              if p.is_file() and p.stat().st_size < 1_000_000 and SECRET_TEXT.encode() in p.read_bytes()]
    assert copies == []


@pytest.mark.parametrize("with_meta", [True, False], ids=["FileData", "plain-dict"])
def test_no_gradio_event_reads_a_server_file_raw_protocol(hard_server, secret_file, with_meta):
    deps = dependencies(hard_server.url)
    assert any("file" in d["input_kinds"] for d in deps)  # the add-articles event is among them
    responses = []
    for dep in deps:
        if not dep["inputs"]:
            continue
        # The file where a file goes; elsewhere too (JSON inputs of the API accept any object).
        data = [file_data(secret_file, with_meta) if kind in ("file", "api", "json") else None
                for kind in dep["input_kinds"]]
        if "file" in dep["input_kinds"]:
            data[dep["input_kinds"].index("file")] = [file_data(secret_file, with_meta)]
        responses.append(call_event(hard_server.url, dep, data))
    add = next(r for r, d in zip(responses, [d for d in deps if d["inputs"]]) if "file" in d["input_kinds"])
    # Refused by newsbot's own check, or by Gradio's (a file that is no upload, a malformed file).
    assert "Done" not in add and ("not uploaded to this server" in add or '"success":false' in add)
    assert_secret_stayed_private(hard_server.url, secret_file, responses)


def attacker_client(url: str, fn_index: int, pass_paths: bool = True) -> Client:
    """gradio_client as an attacker would run it: private events callable, and (``pass_paths``)
    FileData objects sent as they are instead of uploading the client's own files."""
    client = Client(url, verbose=False)
    endpoint = client.endpoints[fn_index]
    endpoint.is_valid = True
    if pass_paths:
        endpoint._upload_file = lambda f, data_index: f
    return client


def outcome(job_or_call) -> str:
    """The result or the error of a gradio_client call, as text."""
    try:
        return json.dumps(job_or_call(), default=str)
    except AppError as err:
        return f"AppError: {err}"


def test_gradio_client_cannot_name_a_server_file(hard_server, secret_file):
    deps = dependencies(hard_server.url)
    add = next(d for d in deps if "file" in d["input_kinds"])
    client = attacker_client(hard_server.url, add["id"])
    status = outcome(lambda: client.submit([file_data(secret_file, with_meta=True)], "", "en",
                                           fn_index=add["id"]).result(timeout=120))
    assert "Done" not in status and ("not uploaded to this server" in status or "AppError" in status)
    ask = next(d for d in deps if d.get("api_name") == "ask")
    client = attacker_client(hard_server.url, ask["id"])
    answer = outcome(lambda: client.predict(SEED_QUESTION, [file_data(secret_file, with_meta=True)],
                                            file_data(secret_file, with_meta=True), 5, api_name="/ask"))
    assert_secret_stayed_private(hard_server.url, secret_file, [status, answer])


def test_a_file_in_gradios_folder_that_was_not_uploaded_is_refused(hard_server):
    # Gradio's own check only asks for its folder; newsbot asks for one of its uploads.
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()) / f"not-an-upload-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    try:
        path = folder / "cached.txt"
        path.write_text(f"Cached\n\n{SECRET_TEXT}\n", encoding="utf-8")
        add = next(d for d in dependencies(hard_server.url) if "file" in d["input_kinds"])
        status = call_event(hard_server.url, add, [[file_data(path, with_meta=True)], "", "en"])
        assert "not uploaded to this server" in status and "Zanzibar" not in status
        titles = [a["title"] for a in httpx.get(hard_server.url + "/api/articles").json()["articles"]]
        assert "Cached" not in titles
    finally:
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


def test_uploaded_files_still_go_in_through_the_add_articles_event(hard_server, tmp_path):
    from gradio_client import handle_file

    article = tmp_path / "lighthouse.txt"
    article.write_text("Lighthouse restored in Brest\n\nThe old lighthouse of the Brest harbour reopened to "
                       "visitors on Saturday after two years of restoration work.\n", encoding="utf-8")
    add = next(d for d in dependencies(hard_server.url) if "file" in d["input_kinds"])
    client = attacker_client(hard_server.url, add["id"], pass_paths=False)
    status = client.submit([handle_file(str(article))], "", "en", fn_index=add["id"]).result(timeout=180)
    assert "Done" in json.dumps(status, default=str)
    titles = [a["title"] for a in httpx.get(hard_server.url + "/api/articles", params={"limit": 200}).json()["articles"]]
    assert "Lighthouse restored in Brest" in titles


@pytest.mark.parametrize("body", ['{"question": "When?", "k": 1e309}', '{"question": "When?", "k": NaN}',
                                  '{"question": "When \\ud800?"}', '{"question": "When?", "history": '
                                  '[{"question": "x", "answer": "\\udfff"}]}', '{"question": Infinity}'])
def test_json_that_cannot_be_handled_is_a_422(hard_server, body):
    for route in ("/api/ask", "/api/ask/stream", "/api/feedback", "/gradio_api/queue/join"):
        r = httpx.post(hard_server.url + route, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, (route, r.status_code, r.text)
        assert r.json()["detail"]


def test_an_unknown_gradio_event_is_a_422(hard_server):
    for fn in (999, -1, "x", True):
        r = httpx.post(hard_server.url + "/gradio_api/queue/join",
                       json={"data": [], "fn_index": fn, "session_hash": "abc"})
        assert r.status_code == 422 and "unknown fn_index" in r.json()["detail"]


@pytest.mark.parametrize("name", ["..", "sub/..", ".", "../../etc/x.txt", "a" * 300 + ".txt", "\x00\x1b.txt"])
def test_odd_upload_names_are_handled_and_leave_nothing_behind(hard_server, name):
    before = set(Path(tempfile.gettempdir()).glob("newsbot-upload-*"))
    r = httpx.post(hard_server.url + "/api/articles", timeout=120,
                   files={"files": (name, b"Odd names\n\nAn upload whose name tries to leave its folder.\n")})
    assert r.status_code == 200, r.text
    assert set(Path(tempfile.gettempdir()).glob("newsbot-upload-*")) <= before
    body = r.json()
    assert body["articles"] + len(body["errors"]) == 1
    assert all(len(e) < 400 for e in body["errors"])


def test_history_is_bounded_in_turns_and_characters(hard_server):
    turn = {"question": "When did they speak?", "answer": "On Thursday [1]."}
    url = hard_server.url + "/api/ask"
    ok = httpx.post(url, json={"question": "And before?", "history": [turn] * 20}, timeout=60)
    assert ok.status_code == 200
    too_many = httpx.post(url, json={"question": "And before?", "history": [turn] * 21}, timeout=60)
    assert too_many.status_code == 422 and "NEWSBOT_MAX_HISTORY_TURNS" in too_many.text
    too_long = httpx.post(url, json={"question": "And before?", "history": [{"question": "x" * 15_000,
                                                                              "answer": "y" * 6_000}]}, timeout=60)
    assert too_long.status_code == 422 and "NEWSBOT_MAX_HISTORY_CHARS" in too_long.text
    client = Client(hard_server.url, verbose=False)
    with pytest.raises(Exception, match="NEWSBOT_MAX_HISTORY_TURNS"):
        client.predict("And before?", [turn] * 21, None, 5, api_name="/ask")


def test_filters_are_bounded_and_typed(hard_server):
    r = httpx.post(hard_server.url + "/api/ask", json={"question": "When?", "filters": {"source": ["x"] * 101}})
    assert r.status_code == 422
    client = Client(hard_server.url, verbose=False)
    for filters, message in (({"source": ["x"] * 101}, "at most 100 outlet"), ({"since": {"a": 1}}, "since"),
                             ({"lang": "x" * 50}, "language filter"), ("not a dict", None)):
        try:
            answer = client.predict(SEED_QUESTION, None, filters, 5, api_name="/ask")
        except AppError as err:
            assert message and message in str(err)
        else:
            assert message is None and answer["question"] == SEED_QUESTION
    with pytest.raises(AppError, match="k is the number of passages"):
        client.predict(SEED_QUESTION, None, None, 10**9, api_name="/ask")


def test_one_token_covers_the_gradio_api_and_uploads(start_server, hard_store, tmp_path):
    server = start_server(hard_store, api_token="s3cret-token")
    article = tmp_path / "note.txt"
    article.write_text("A note\n\nA short note that must not be uploaded without the token.\n", encoding="utf-8")
    with httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.post("/api/ask", json={"question": SEED_QUESTION}).status_code == 401
        assert http.post("/gradio_api/upload", files={"files": ("note.txt", article.read_bytes())}).status_code == 401
        r = http.post("/gradio_api/queue/join", json={"data": ["x", None, None, 5], "fn_index": 9,
                                                       "session_hash": "abc"})
        assert r.status_code == 401
        assert http.post("/api/ask", json={"question": SEED_QUESTION},
                         headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    with pytest.raises(Exception):  # noqa: B017 (gradio_client names no error class for a refused login)
        Client(server.url, verbose=False).predict(SEED_QUESTION, None, None, 5, api_name="/ask")
    answer = Client(server.url, auth=("anyone", "s3cret-token"), verbose=False).predict(
        SEED_QUESTION, None, None, 5, api_name="/ask")
    assert answer["citations"]


def test_one_rate_limit_covers_uploads_and_add_articles(start_server, hard_store):
    server = start_server(hard_store, rate_limit_per_minute=3)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        codes = [http.post("/gradio_api/upload", files={"files": ("a.txt", b"Some text.")}).status_code
                 for _ in range(4)]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
    add = next(d for d in dependencies(server.url) if "file" in d["input_kinds"])
    assert "too many" in call_event(server.url, add, [[], "https://example.org/a", "en"]).lower()


def test_only_trusted_host_names_are_answered(start_server, hard_store):
    server = start_server(hard_store)
    port = server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert httpx.get(server.url + "/api/health", headers={"Host": host}).status_code == 200
    for host in ("evil.example", f"evil.example:{port}", f"bot.example:{port}"):
        assert httpx.get(server.url + "/", headers={"Host": host}).status_code == 400
        assert httpx.get(server.url + "/api/health", headers={"Host": host}).status_code == 400
    from bot.runtime import Runtime

    app = create_app(server.settings.model_copy(update={"trusted_hosts": "bot.example"}), Runtime.from_store(hard_store),
                     host="0.0.0.0")
    with BackgroundServer(app) as other:
        assert httpx.get(other.url + "/api/health", headers={"Host": "bot.example"}).status_code == 200
        assert httpx.get(other.url + "/api/health", headers={"Host": "evil.example"}).status_code == 400


def test_the_chat_page_may_be_framed_only_by_allowed_origins(server, host_pages):
    r = httpx.get(server.url + "/")
    assert r.status_code == 200
    policy = r.headers["content-security-policy"]
    assert policy == f"frame-ancestors 'self' {host_pages.allowed_origin}"
    widget = httpx.get(server.url + "/widget").headers["content-security-policy"]
    assert "script-src 'self'" in widget and f"frame-ancestors 'self' {host_pages.allowed_origin}" in widget


def test_login_attempts_are_throttled(start_server, hard_store):
    server = start_server(hard_store, auth="editor:right-password", login_attempts_per_minute=5)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        codes = [http.post("/login", data={"username": "editor", "password": f"wrong{i}"}).status_code
                 for i in range(7)]
    assert 429 not in codes[:5] and codes[5:] == [429, 429]


def test_feedback_entries_are_capped(hard_server):
    answer = {"question": "q", "answer": "a" * 200_000, "refused": False, "citations": [], "timings": {}}
    r = httpx.post(hard_server.url + "/api/feedback", json={"rating": "up", "question": "q", "answer": answer})
    assert r.status_code == 413 and "NEWSBOT_FEEDBACK_MAX_RECORD_BYTES" in r.text


def test_feedback_log_rotates_past_its_size(tmp_path):
    log = FeedbackLog(tmp_path / "fb.jsonl", max_record_bytes=5_000, max_bytes=20_000)
    answer = {"answer": "b" * 1_000, "citations": []}
    for _ in range(50):
        log.record("up", "question", answer)
    assert (tmp_path / "fb.jsonl").stat().st_size <= 20_000
    assert (tmp_path / "fb.jsonl.1").stat().st_size <= 20_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fb.jsonl", "fb.jsonl.1"]
    with pytest.raises(ValueError, match="refused"):
        log.record("up", "question", {"answer": "c" * 6_000})


class _HeldPage:
    """A local page whose answer waits until ``release`` is set: keeps an ingest busy."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.release = threading.Event()
        self.asked = threading.Event()
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                page.asked.set()
                page.release.wait(60)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/article.html"

    def close(self):
        self.release.set()
        self.httpd.shutdown()


@pytest.mark.slow
def test_an_ingest_process_runs_at_a_lower_cpu_priority(tmp_path):
    import os
    import subprocess
    import sys

    page = _HeldPage()
    try:
        newsbot = str(Path(sys.executable).with_name("newsbot"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        cli = subprocess.Popen([newsbot, "ingest", "--store", str(tmp_path / "store"), "--no-progress", page.url],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert page.asked.wait(120)
        cli_niceness = os.getpriority(os.PRIO_PROCESS, cli.pid)
        page.release.set()
        cli.wait(60)
    finally:
        page.close()
    assert cli_niceness == max(10, os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
