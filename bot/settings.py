"""The settings of answering, read from ``NEWSBOT_*`` environment variables like those of
``ingest/settings.py``:

- :class:`AnswerSettings`: the answer reader and the reranker;
- :class:`LLMSettings`: an OpenAI-compatible endpoint for LLM answers;
- :class:`BotSettings`: these with the store and ingest sections, what
  :meth:`bot.newsbot.NewsBot.from_settings` and :class:`bot.runtime.Runtime` read.
"""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from ingest.settings import ENV_CONFIG, IngestSettings, StoreSettings

__all__ = ["AnswerSettings", "BotSettings", "LLMSettings"]


class AnswerSettings(BaseSettings):
    """How the extractive answer is chosen."""

    model_config = ENV_CONFIG

    reader: bool = Field(default=True, description="Answer with the bundled reading model (a cross-encoder; false: the hand-weighted sentence scorer alone, see docs/answers.md)")
    reranker: str = Field(default="", description="Optional cross-encoder (sentence-transformers name or path)")


class LLMSettings(BaseSettings):
    """An OpenAI-compatible endpoint for LLM answers; none by default."""

    model_config = ENV_CONFIG

    llm_base_url: str = Field(default="", description="OpenAI-compatible endpoint; empty means extractive answers")
    llm_model: str = Field(default="", description="Model name on the LLM endpoint")
    llm_api_key: str = Field(default="not-needed", description="API key for the LLM endpoint")
    llm_timeout: float = Field(default=30.0, gt=0)


class BotSettings(LLMSettings, AnswerSettings, IngestSettings, StoreSettings):
    """The store, ingest, answer and LLM sections together: a bot and its ingests."""

    model_config = ENV_CONFIG
