"""The hybrid search as a LangChain ``BaseRetriever``: documents carry the passage's scores and offsets
in their metadata."""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .answer_types import Filters, Passage


class HybridRetriever(BaseRetriever):
    """LangChain retriever over :class:`HybridSearch`; documents carry scores and offsets in metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: Any
    k: int = 5
    filters: Filters = Filters()

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [passage_to_document(p) for p in self.search.search(query, self.k, self.filters)]


def passage_to_document(p: Passage) -> Document:
    meta = dict(p.metadata, chunk_id=p.chunk_id, score=p.score, dense_rank=p.dense_rank, lexical_rank=p.lexical_rank)
    return Document(page_content=p.text, metadata=meta, id=p.chunk_id)
