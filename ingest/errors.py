"""The project's own exceptions: each one names the thing at fault and the fix.

The whole tree, with the errors of answering and evaluation, is drawn in :mod:`bot.errors`.
Each class says what it becomes at the edges: ``exit_code`` for the command line, ``http_status``
for the server; ``ui.cli.main`` and ``ui.server`` map them, each in one place.
"""


class NewsbotError(Exception):
    """Base class of every error newsbot reports to a user."""

    exit_code = 2
    http_status = 503


class InputError(NewsbotError):
    """One input (file, URL, record) could not be read; the rest of a batch goes on."""

    exit_code = 1  # 'newsbot ingest' exits 1 when any input was skipped
    http_status = 422

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
