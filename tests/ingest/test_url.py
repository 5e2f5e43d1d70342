"""ingest/loaders/url.py: article pages and feeds over http(s), and the ways a fetch fails."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from local_services import free_port

from ingest.errors import InputError
from ingest.loaders import load_input
from ingest.settings import IngestSettings

DATA = Path(__file__).parent / "data"


def load(url, **settings):
    errors = []
    return load_input(url, IngestSettings(**settings), errors.append), errors


def test_html_page_over_http(http_server):
    url = http_server.put("politique/senat.html", (DATA / "senat-retraites.html").read_bytes())
    [article], errors = load(url)
    assert errors == []
    assert article.title == "Le Sénat adopte la réforme des retraites"
    assert article.source == "Le Quotidien"
    # the page's canonical URL wins over the address it was fetched from
    assert article.url == "https://www.lequotidien.example/politique/senat-retraites"
    assert article.published.startswith("2024-03-14")
    assert article.text.startswith("Les sénateurs ont adopté")


def test_page_without_canonical_url_keeps_the_final_url_after_redirects(http_server):
    http_server.put("news/tram.html", "<html><head><title>Tram line approved</title></head><body><article>"
                    "<p>The city council approved the new tram line on Tuesday after a long debate about its cost "
                    "and its route through the old town.</p></article></body></html>")
    [article], _ = load(http_server.url("redirect/news/tram.html"))
    assert article.url == http_server.url("news/tram.html")
    assert article.source.startswith("127.0.0.1")
    assert article.lang == "en"


def test_http_404_is_an_input_error(http_server):
    url = http_server.url("missing.html")
    with pytest.raises(InputError) as exc:
        load(url)
    assert str(exc.value) == f"{url}: HTTP 404 File not found; skipped"


def test_connection_refused_is_an_input_error():
    url = f"http://127.0.0.1:{free_port()}/article.html"
    with pytest.raises(InputError, match=r"cannot fetch \(ConnectError") as exc:
        load(url)
    assert str(exc.value).startswith(url + ": ")


def test_server_that_does_not_answer_times_out(http_server):
    url = http_server.url("slow/article.html")
    t0 = time.monotonic()
    with pytest.raises(InputError) as exc:
        load(url, fetch_timeout=1.0)
    assert time.monotonic() - t0 < 10
    assert str(exc.value) == f"{url}: timed out after 1 s; skipped"


def test_response_larger_than_the_limit_is_refused(http_server):
    url = http_server.put("big.html", "<html><body><p>" + "mot " * 5000 + "</p></body></html>")
    with pytest.raises(InputError, match=r"response larger than 1000 bytes"):
        load(url, max_file_bytes=1000)


def test_unsupported_content_type_is_an_input_error(http_server):
    url = http_server.put("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    with pytest.raises(InputError, match=r"unsupported content type 'image/png'"):
        load(url)


def test_private_addresses_are_refused_when_blocked(http_server):
    url = http_server.put("news/local.html", "<html><body><article><p>An internal page that a visitor must not "
                          "make the server read, however it is reached.</p></article></body></html>")
    for target in (url, http_server.url("redirect/news/local.html"), "http://10.1.2.3/x"):
        with pytest.raises(InputError) as exc:
            load(target, block_private_urls=True)
        assert "loopback or private address" in str(exc.value)
        assert str(exc.value).startswith(target)
    # Not blocked (the command line's default): the same page loads.
    [article], _ = load(url)
    assert "internal page" in article.text


def test_a_fetch_ends_at_its_deadline_however_slowly_bytes_arrive(http_server):
    # One byte a second: each read is within the timeout, the fetch as a whole is not.
    url = http_server.url("drip/30")
    t0 = time.monotonic()
    with pytest.raises(InputError) as exc:
        load(url, fetch_timeout=2.5)
    assert str(exc.value) == f"{url}: timed out after 2.5 s; skipped"
    assert time.monotonic() - t0 < 2.5 + 1.5


def test_the_connection_goes_to_the_address_that_was_checked(http_server, monkeypatch):
    # A name that resolves to a public address when checked and to loopback a moment later
    # (DNS rebinding) must not reach the loopback server.
    import socket

    port = int(http_server.base.rsplit(":", 1)[1])
    http_server.put("internal.html", "<html><body><article><p>Internal page that only the server itself "
                    "should see, never a visitor through the add-articles panel.</p></article></body></html>")
    real = socket.getaddrinfo
    answers = iter(["93.184.215.14"])

    def rebinding(host, *args, **kwargs):
        if host == "rebind.newsbot.test":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(InputError) as exc:
        load(f"http://rebind.newsbot.test:{port}/internal.html", block_private_urls=True, fetch_timeout=2)
    assert "Internal page" not in str(exc.value)
