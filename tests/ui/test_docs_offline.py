"""/docs (Swagger UI) and /redoc are served from the package: every file they load is on this
server, and in a browser cut off from every other host they still render the API."""
import re
from urllib.parse import urljoin, urlparse

import httpx
import pytest
from samples_live import samples_store, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory, e5):
    server = serve(samples_store(tmp_path_factory.mktemp("samples-store"), e5))
    yield server
    server.stop()


def referenced_urls(html: str) -> list[str]:
    """Every URL the page loads: src/href attributes and the quoted URLs its inline script hands
    to Swagger UI or ReDoc (the OpenAPI document, the OAuth2 redirect)."""
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""(?:url|oauth2RedirectUrl)\s*:\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""spec-url\s*=\s*["']([^"']+)["']""", html)
    return urls


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_documentation_pages_load_only_local_files(server, path):
    with httpx.Client(base_url=server.url, timeout=60) as http:
        r = http.get(path)
        assert r.status_code == 200
        urls = referenced_urls(r.text)
        assert any(u.endswith(".js") for u in urls) and any(u.endswith("openapi.json") for u in urls), urls
        for url in urls:
            absolute = urljoin(server.url + path, url)
            assert urlparse(absolute).netloc == urlparse(server.url).netloc, f"{path} loads {url} from another host"
            assert http.get(absolute).status_code == 200, url
    assert "cdn" not in r.text.lower()


@pytest.mark.browser
def test_swagger_renders_with_no_other_host_reachable(server, page):
    own = urlparse(server.url).netloc
    elsewhere: list[str] = []

    def only_this_server(route) -> None:
        if urlparse(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(server.url + "/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=60_000)
    assert "newsbot" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary-path", has_text="/api/ask").first.wait_for(timeout=30_000)
    assert elsewhere == []
