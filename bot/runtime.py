"""One runtime for every front end: the bot, its question gate and the ingests in their background.

The chat, the REST API, ``newsbot serve [--watch]``, ``newsbot watch`` and ``newsbot ask`` take
what they need from a :class:`Runtime`, so that the wiring of questions first (an ingest waits
for the questions in flight and embeds at a lower priority, see ``ingest/questions_first.py``)
is written once, here.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ingest.questions_first import QuestionGate
from ingest.settings import IngestSettings
from ingest.store import Store

from .newsbot import NewsBot
from .settings import BotSettings

if TYPE_CHECKING:  # imported where used: `newsbot ask` needs no ingest
    from ingest.embedders import BackgroundEmbedder
    from ingest.pipeline import Ingester
    from ingest.watch import FeedWatcher

__all__ = ["Runtime"]


class Runtime:
    """A process's store, its :class:`NewsBot` (built on first use), the bot's
    :class:`QuestionGate`, and the ingesters that let the questions pass.

    Built from settings (:meth:`from_settings`, the command line and the server) or around an open
    store (:meth:`from_store`, tests).
    """

    def __init__(self, store: Store, settings: BotSettings, bot: NewsBot | None = None):
        self.store = store
        self.settings = settings
        self._bot = bot
        self._lock = threading.Lock()
        self._embedder: BackgroundEmbedder | None = None

    @classmethod
    def from_settings(cls, settings: BotSettings) -> "Runtime":
        """The store ``settings`` name, opened once; the bot is built from them when first asked for."""
        return cls(Store.open(settings), settings)

    @classmethod
    def from_store(cls, store: Store, settings: BotSettings | None = None) -> "Runtime":
        """Around an open ``store``, with a bot of the default search and answerer."""
        return cls(store, settings if settings is not None else BotSettings(store=store.path), bot=NewsBot(store))

    @property
    def bot(self) -> NewsBot:
        """The bot every question of this process goes to (built once, on first use)."""
        with self._lock:
            if self._bot is None:
                self._bot = NewsBot.from_settings(self.settings, store=self.store)
            return self._bot

    @property
    def questions(self) -> QuestionGate:
        """The gate the bot's questions hold while they are answered; background ingests wait on it."""
        return self.bot.questions

    def background_embedder(self) -> BackgroundEmbedder:
        """The store's embedder in the background of the questions (made once, shared by every ingest)."""
        from ingest.embedders import BackgroundEmbedder

        questions = self.questions
        with self._lock:
            if self._embedder is None:
                self._embedder = BackgroundEmbedder(self.store.embedder, questions, self.settings.ingest_niceness)
            return self._embedder

    def ingester(self, settings: IngestSettings | None = None) -> Ingester:
        """An ingester into the store that lets the questions pass: it waits for the questions in
        flight before each article and store write, and embeds with :meth:`background_embedder`.
        ``settings``: how inputs are read (default: the runtime's)."""
        from ingest.pipeline import Ingester

        return Ingester(self.store, settings if settings is not None else self.settings,
                        embedder=self.background_embedder(), yield_to=self.questions)

    def watcher(self, feeds: list[str], every: float, *, in_background: bool = True) -> FeedWatcher:
        """A :class:`FeedWatcher` polling ``feeds`` into the store every ``every`` seconds: with
        :meth:`ingester` when this process answers questions too (``newsbot serve --watch``), else
        (``in_background=False``, ``newsbot watch``) with a plain ingester and no bot."""
        from ingest.watch import FeedWatcher

        ingester = self.ingester() if in_background else None
        return FeedWatcher(self.store, self.settings, feeds, every=every, ingester=ingester)
