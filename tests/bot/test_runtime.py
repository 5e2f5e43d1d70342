"""bot/runtime.py: one runtime owns the bot, its question gate and the ingests in their background,
for every front end (the server, ``newsbot serve --watch``, ``newsbot watch``, ``newsbot ask``)."""
from __future__ import annotations

import json
import threading

from waiting import wait_until

from bot.events import AnswerEvent
from bot.runtime import Runtime
from bot.settings import BotSettings
from ingest.embedders import BackgroundEmbedder
from ingest.settings import IngestSettings
from ingest.store import Store

ARTICLES = [
    {"id": "rt-ferry", "title": "Ferry service suspended", "source": "newsbot-test", "published": "2026-02-03",
     "lang": "en", "text": "The ferry between Calais and Dover was suspended on Tuesday because of a storm. "
                           "Passengers were told to come back on Thursday."},
    {"id": "rt-museum", "title": "Museum reopens", "source": "newsbot-test", "published": "2026-02-04",
     "lang": "en", "text": "The natural history museum of Lille reopened on Wednesday after two years of work. "
                           "Its whale skeleton now hangs in the main hall."},
]


def write_article(folder, article) -> str:
    path = folder / f"{article['id']}.jsonl"
    path.write_text(json.dumps(article) + "\n", encoding="utf-8")
    return str(path)


def test_the_runtimes_ingests_wait_for_the_questions_of_its_bot(tmp_path, e5):
    store = Store(tmp_path / "store", e5)
    runtime = Runtime.from_store(store)
    first = runtime.ingester()
    assert first.yield_to is runtime.questions is runtime.bot.questions
    assert isinstance(first.embedder, BackgroundEmbedder) and first.embedder.gate is runtime.questions
    assert runtime.ingester().embedder is first.embedder  # one background embedder for every ingest
    assert first.ingest([write_article(tmp_path, ARTICLES[0])], progress=False).errors == []

    runtime.questions.max_wait = 600  # the ingest waits as long as the question is answered
    events = runtime.bot.stream("Why was the ferry between Calais and Dover suspended?")
    opening = next(events)  # in flight until the stream ends
    before = store.count()
    result = {}
    thread = threading.Thread(target=lambda: result.update(report=runtime.ingester().ingest(
        [write_article(tmp_path, ARTICLES[1])], progress=False)))
    thread.start()
    wait_until(lambda: runtime.questions.waiting == 1)
    assert store.count() == before and thread.is_alive()

    last = ([opening] + list(events))[-1]
    assert isinstance(last, AnswerEvent) and "storm" in last.answer.answer
    thread.join(120)
    assert result["report"].errors == [] and result["report"].articles_new == 1
    assert store.count() > before and store.article_chunk_ids("rt-museum")


def test_a_runtime_from_settings_answers_from_the_store_it_opened_and_watches_with_or_without_its_bot(tmp_path, e5):
    built = Store(tmp_path / "store", e5)
    runtime = Runtime.from_store(built)
    assert runtime.ingester(IngestSettings()).ingest([write_article(tmp_path, ARTICLES[0])], progress=False).errors == []
    built.close()

    runtime = Runtime.from_settings(BotSettings(store=tmp_path / "store", chroma_url="", embedder=""))
    plain = runtime.watcher(["feed.xml"], every=60.0, in_background=False).ingester  # `newsbot watch`
    assert plain.yield_to is None and plain.embedder is runtime.store.embedder and not plain.sentences_now
    background = runtime.watcher(["feed.xml"], every=60.0).ingester  # `newsbot serve --watch`
    assert background.yield_to is runtime.questions and isinstance(background.embedder, BackgroundEmbedder)
    assert runtime.bot.store is runtime.store and runtime.bot is runtime.bot
    answer = runtime.bot.ask("Why was the ferry between Calais and Dover suspended?")
    assert answer.citations and answer.citations[0].article_id == "rt-ferry"
    runtime.store.close()
