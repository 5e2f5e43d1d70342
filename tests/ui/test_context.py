"""ui/context.py: an ingest in the server waits for the questions in flight (questions go first)."""
from __future__ import annotations

import json

from waiting import wait_until

from bot.events import AnswerEvent
from bot.runtime import Runtime
from ingest.pipeline import Ingester
from ingest.store import Store
from ui.context import IngestRunner
from ui.settings import Settings

ARTICLES = [
    {"id": "ctx-pont", "title": "Le pont de Millau fermé", "source": "newsbot-test", "published": "2026-01-10",
     "lang": "fr", "text": "Le pont de Millau a été fermé mardi pendant six heures à cause de rafales de vent. "
                           "La circulation a été déviée par la vallée du Tarn."},
    {"id": "ctx-port", "title": "Grève au port de Brest", "source": "newsbot-test", "published": "2026-01-11",
     "lang": "fr", "text": "Les dockers du port de Brest ont cessé le travail mercredi. "
                           "Trois navires attendent au large d'être déchargés."},
]


def test_an_ingest_waits_while_a_question_is_in_flight(tmp_path, e5):
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps(ARTICLES[0], ensure_ascii=False) + "\n", encoding="utf-8")
    second.write_text(json.dumps(ARTICLES[1], ensure_ascii=False) + "\n", encoding="utf-8")
    settings = Settings(store=tmp_path / "store")
    store = Store(settings.store, e5)
    Ingester(store, settings).ingest([str(first)], progress=False)
    runtime = Runtime.from_store(store)
    bot = runtime.bot
    bot.questions.max_wait = 600  # the ingest waits as long as the question is answered
    runner = IngestRunner(runtime, settings)
    before = store.count()

    events = bot.stream("Pourquoi le pont de Millau a-t-il été fermé ?")
    first = next(events)  # the question is being answered: it is in flight until the stream ends
    assert bot.questions.in_flight == 1
    thread, progress = runner.start([str(second)])
    wait_until(lambda: bot.questions.waiting == 1)
    assert store.count() == before and progress.report.chunks_embedded == 0 and not progress.done

    last = ([first] + list(events))[-1]  # the stream is finished: the ingest goes on
    assert isinstance(last, AnswerEvent) and "Millau" in last.answer.answer
    assert bot.questions.in_flight == 0
    thread.join(120)
    assert progress.done and not progress.failure and progress.errors == []
    assert progress.report.chunks_embedded >= 1 and store.count() > before
    assert store.article_chunk_ids("ctx-port")
