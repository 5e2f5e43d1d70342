"""``newsbot serve`` as a user runs it: the "chat at" banner comes only once the port listens; a
busy port is one clear error, a non-zero exit, and no banner."""
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from samples_live import REPO, samples_store


@pytest.fixture(scope="module")
def store(tmp_path_factory, e5):
    return samples_store(tmp_path_factory.mktemp("samples-store"), e5)


def newsbot_serve(store, port: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), NEWSBOT_FEEDBACK_LOG=str(store.path / "feedback.jsonl"))
    return subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--store", str(store.path), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_a_busy_port_is_an_error_without_a_banner(store):
    with socket.socket() as other:  # a real program holding the port
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        start = time.monotonic()
        proc = newsbot_serve(store, port)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "chat at" not in out + err
    assert f"newsbot: cannot listen on 127.0.0.1:{port}: the port is already in use" in err
    assert "pass another --port" in err
    assert "Traceback" not in err
    # The port is tried before the models load: the refusal does not wait for them.
    assert time.monotonic() - start < 60


def test_the_banner_means_the_port_already_answers(store):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = newsbot_serve(store, port)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"newsbot: chat at http://127.0.0.1:{port}/"), line + proc.stderr.read()
        with socket.create_connection(("127.0.0.1", port), timeout=1):  # listening at the moment of the banner
            pass
        assert httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=60).json()["articles"] == 6
    finally:
        proc.terminate()
        proc.wait(timeout=30)
