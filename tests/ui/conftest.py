"""Live servers on real stores, a second origin for host pages, and one Chromium per session."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from newsbot_testdata import write_call_article
from ui_live import CHROMIUM, CHROMIUM_ARGS, EVIL_RECORD, HostPages, build_store

from bot.runtime import Runtime
from ingest.store import Store
from ui.server import BackgroundServer, create_app
from ui.settings import Settings


@pytest.fixture(scope="session")
def host_pages(tmp_path_factory) -> HostPages:
    pages = HostPages(tmp_path_factory.mktemp("host-pages"))
    yield pages
    pages.httpd.shutdown()


@pytest.fixture(scope="session")
def evil_jsonl(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("evil") / "evil.jsonl"
    path.write_text(json.dumps(EVIL_RECORD) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def ui_store(tmp_path_factory, e5, evil_jsonl, seed_dir) -> Store:
    """The seed article and the malicious one; tests may add articles unrelated to both."""
    return build_store(tmp_path_factory.mktemp("ui-store"), e5, [str(seed_dir), str(evil_jsonl)])


@pytest.fixture(scope="session")
def start_server(tmp_path_factory):
    """``start_server(store, **settings)`` serves a fresh app on the store; stopped at session end."""
    servers: list[BackgroundServer] = []

    def start(store: Store, **overrides) -> BackgroundServer:
        feedback = tmp_path_factory.mktemp("feedback") / "feedback.jsonl"
        settings = Settings(store=store.path, feedback_log=feedback, **({"rate_limit_per_minute": 100_000} | overrides))
        server = BackgroundServer(create_app(settings, Runtime.from_store(store))).start()
        server.settings = settings
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


@pytest.fixture(scope="session")
def server(start_server, ui_store, host_pages) -> BackgroundServer:
    """The main server: widget and API allowed from the host pages' 'localhost' origin only."""
    return start_server(ui_store, cors_origins=host_pages.allowed_origin, max_upload_bytes=300_000,
                        max_question_chars=500)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser page that records dialogs (an alert() from injected script would land here)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog) -> None:
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    context.close()


# Written for these tests: a Monday's article whose "le week-end dernier" is two days, 28–29 June 2025.
SAILING_ARTICLE = """---
title: La course autour de la Bretagne
date: 2025-06-30
source: Le Quotidien
---
La course à la voile autour de la Bretagne s'est achevée le week-end dernier à Lorient.
La skippeuse Anne Kerlan l'a remportée devant vingt-deux équipages, après six jours de mer.
"""


@pytest.fixture(scope="session")
def weekend_server(tmp_path_factory, e5, start_server, host_pages) -> BackgroundServer:
    """A server on one dated article that names a weekend."""
    folder = tmp_path_factory.mktemp("weekend")
    (folder / "voile.txt").write_text(SAILING_ARTICLE, encoding="utf-8")
    store = build_store(tmp_path_factory.mktemp("weekend-store"), e5, [str(folder)])
    return start_server(store, cors_origins=host_pages.allowed_origin)


@pytest.fixture(scope="session")
def dated_server(tmp_path_factory, e5, start_server, host_pages) -> BackgroundServer:
    """A server on the seed article given front matter with its publication date, Thursday 3 July 2025."""
    folder = write_call_article(tmp_path_factory.mktemp("dated-seed"), dated=True)
    store = build_store(tmp_path_factory.mktemp("dated-store"), e5, [str(folder)])
    return start_server(store, cors_origins=host_pages.allowed_origin)
