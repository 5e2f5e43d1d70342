"""Fixtures of the ingestion tests: a real HTTP server and a real Chroma server on 127.0.0.1."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import httpx
import pytest
from local_services import CHROMA, LocalServer, free_port


@pytest.fixture
def http_server(tmp_path):
    server = LocalServer(tmp_path / "www")
    server.root.mkdir(exist_ok=True)
    yield server
    server.close()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """URL of a real ``chroma run`` server on a free port of 127.0.0.1, stopped after the session."""
    path = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = open(path / "server.log", "wb")
    proc = subprocess.Popen([CHROMA, "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"chroma run did not start: {(path / 'server.log').read_text(errors='replace')}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()
    shutil.rmtree(path / "data", ignore_errors=True)


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers (a hung server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()



@pytest.fixture(scope="session")
def minilm():
    """The bundled all-MiniLM-L6-v2 (sentence-transformers, offline)."""
    from ingest.embedders import make_embedder

    return make_embedder("minilm")
