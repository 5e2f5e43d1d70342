"""ingest/loaders/url.py: article pages and feeds over http(s), and the ways a fetch fails."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.errors import InputError
from ingest.loaders import load_input
from ingest.settings import Settings
from local_services import free_port

DATA = Path(__file__).parent / "data"


def load(url, **settings):
    errors = []
    return load_input(url, Settings(**settings), errors.append), errors


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
