"""The server's settings and ``Settings``, every section together: what the command line and the
server read from ``NEWSBOT_*`` environment variables (command flags override them).

- :class:`ServerSettings`: the server's token, CORS, proxies, rate limits, size limits and feedback log;
- :class:`Settings`: it with :class:`bot.settings.BotSettings` (store, ingest, answer, LLM), with
  the same flat names (``settings.store``, ``settings.api_token``).
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

from bot.settings import BotSettings
from ingest.settings import ENV_CONFIG

__all__ = ["ServerSettings", "Settings"]


class ServerSettings(BaseSettings):
    """What ``newsbot serve`` lets in: token, origins, proxies, rate and size limits."""

    model_config = ENV_CONFIG

    cors_origins: str = Field(default="", description="Comma-separated origins allowed to call the API cross-origin")
    api_token: str = Field(default="", description="Bearer token required by the REST API when set")
    auth: str = Field(default="", description="'user:password' for the Gradio chat when set")
    trusted_proxies: str = Field(default="", description="Comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto/-Host are believed; none by default")
    trusted_hosts: str = Field(default="", description="Comma-separated Host names the server answers besides loopback names and --host; '*' for any")
    max_question_chars: int = Field(default=1000, ge=10)
    max_history_turns: int = Field(default=20, ge=0, description="Earlier turns a question may carry")
    max_history_chars: int = Field(default=20_000, ge=0, description="Characters of all earlier turns together")
    login_attempts_per_minute: int = Field(default=10, ge=1, description="Login attempts per client and minute")
    max_upload_bytes: int = Field(default=20_000_000, ge=1)
    max_json_bytes: int = Field(default=2_000_000, ge=1_000, description="Larger JSON request bodies are refused (413) before they are parsed")
    allow_private_urls: bool = Field(default=False, description="Let the server's add-articles panel fetch URLs on loopback or private networks")
    rate_limit_per_minute: int = Field(default=120, ge=1)
    feedback_log: Path | None = Field(default=None, description="The 👍/👎 log (JSONL); default: feedback.jsonl in the store folder")
    feedback_max_record_bytes: int = Field(default=100_000, ge=1_000, description="Larger feedback entries are refused")
    feedback_max_bytes: int = Field(default=10_000_000, ge=10_000, description="The feedback log is rotated (one old copy, .1) past this size")


class Settings(ServerSettings, BotSettings):
    """Every section together: what the command line and the server read."""

    model_config = ENV_CONFIG

    def feedback_path(self) -> Path:
        """Where 👍/👎 go: ``NEWSBOT_FEEDBACK_LOG``, else ``feedback.jsonl`` beside the store they rate."""
        return self.feedback_log or Path(self.store) / "feedback.jsonl"
