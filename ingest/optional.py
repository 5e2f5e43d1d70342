"""Optional dependencies: the models run by torch are an extra, and a missing one is a clear error.

The default path (the e5-small embedder and the answer reader, both in onnxruntime) never imports
torch. ``minilm``, any sentence-transformers model and ``NEWSBOT_RERANKER``'s cross-encoder need the
``sentence-transformers`` extra, installed after CPU torch (docs/install.md).
"""
from __future__ import annotations

import importlib.util

from .errors import ModelUnavailableError

INSTALL_HINT = ("pip install torch --index-url https://download.pytorch.org/whl/cpu && "
                "pip install 'newsbot[sentence-transformers]' (docs/install.md)")


def require_sentence_transformers(what: str) -> None:
    """Raise :class:`ModelUnavailableError` naming ``what`` and the install command when
    sentence-transformers (and so torch) is not installed."""
    if importlib.util.find_spec("sentence_transformers") is None:
        raise ModelUnavailableError(
            f"{what} needs sentence-transformers and torch, which the default install leaves out: "
            f"{INSTALL_HINT}; the default embedder 'e5-small' needs neither")
