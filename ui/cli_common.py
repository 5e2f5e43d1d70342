"""The options every command shares and the settings they make; used by ``ui.cli`` and by the
modules that are also run on their own (``python -m evaluation.benchmarks``), so neither imports the other."""
from __future__ import annotations

import argparse
from pathlib import Path


def common_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--store", type=Path, help="store folder (default: ./newsbot-data or NEWSBOT_STORE)")
    p.add_argument("--chroma-url", help="use a Chroma server instead of the embedded store (or NEWSBOT_CHROMA_URL)")
    p.add_argument("--embedder", help="embedding model: e5-small (default), minilm, or a sentence-transformers name/path")
    return p


def settings_from_args(args):
    """``Settings`` from the environment, overridden by the options given on the command line."""
    from .settings import Settings

    overrides = {}
    for name in ("store", "chroma_url", "embedder", "chunk_size", "chunk_overlap", "max_file_bytes"):
        val = getattr(args, name, None)
        if val is not None:
            overrides[name] = val
    return Settings(**overrides)


def require_store(settings) -> None:
    """A :class:`StoreError` (exit 2) when the configured embedded store does not exist yet: every
    command but ``ingest`` and ``watch`` (which fill a store) reads one, and would otherwise
    create an empty store and answer from nothing. A Chroma server's store is not checked here."""
    from ingest.errors import StoreError

    if settings.chroma_url or (Path(settings.store) / "chroma").is_dir():
        return
    raise StoreError(f"no store in {settings.store}: run `newsbot ingest FILES... --store {settings.store}` "
                     "first (or pass --store, or set NEWSBOT_STORE, to the folder of an existing store)")
