"""What newsbot asks of an embedder: LangChain's ``Embeddings`` with a name the store records, a
dimension, and optional abilities declared as class attributes, so callers never probe with
``getattr``.

- ``pools_sentences``: :meth:`embed_with_sentences` gives each sentence's vector out of its
  chunk's own pass (an opt-in form of the e5 engine);
- :meth:`for_background`: the form that embeds beside a server (another process, lower priority);
- :meth:`close`: release what it holds (a worker process).
"""
from __future__ import annotations

from langchain_core.embeddings import Embeddings

from .errors import ModelUnavailableError


class Embedder(Embeddings):
    name: str = "embedder"
    dim: int = 0
    pools_sentences: bool = False

    def embed_with_sentences(self, texts: list[str], spans: list) -> tuple[list[list[float]], list]:
        """Passage vectors and, per text, the matrix of its sentences' vectors (``pools_sentences`` only)."""
        raise ModelUnavailableError(f"{self.name} does not pool sentence vectors out of its passes")

    def for_background(self, niceness: int) -> Embedder:
        return self

    def close(self) -> None:
        """Nothing to release by default."""
