"""The project's own exceptions: each one names the thing at fault and the fix."""


class NewsbotError(Exception):
    """Base class of every error newsbot reports to a user."""


class InputError(NewsbotError):
    """One input (file, URL, record) could not be read; the rest of a batch goes on."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}; skipped")
        self.source = source
        self.reason = reason


class EmbedderMismatchError(NewsbotError):
    """The store was built with another embedder than the one configured."""


class ModelUnavailableError(NewsbotError):
    """An embedding or reranking model cannot be loaded (e.g. offline and not cached)."""


class StoreError(NewsbotError):
    """The store cannot be opened or reached."""
