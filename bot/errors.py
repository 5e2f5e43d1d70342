"""The project's error tree, and what each error becomes at the command line and over HTTP.

::

    NewsbotError (ingest.errors)     exit 2   HTTP 503   every error newsbot reports to a user
    ├── InputError                   exit 1   HTTP 422   one input (file, URL, record) skipped; the batch goes on
    ├── EmbedderMismatchError        exit 2   HTTP 503   the store was built with another embedder
    ├── ModelUnavailableError        exit 2   HTTP 503   a model cannot be loaded
    ├── StoreError                   exit 2   HTTP 503   the store cannot be opened or reached
    ├── QuestionError                exit 2   HTTP 422   a question, its history or its filters are refused
    │   ├── AsOfError (bot.news_time)    exit 2   HTTP 422   an as_of value that is not a calendar date
    │   └── RateLimited              exit 2   HTTP 429   too many requests from one client (Retry-After)
    └── EvalInputError               exit 2   -          a QA file, a store or an option an evaluation cannot use
        └── BenchmarkError           exit 2   -          a benchmark cannot run with the inputs given

Raise the most specific class; catch broadly only at the edges, each mapped in one place:
``ui.cli.main`` (message on stderr, ``exit_code``), ``ui.server.create_app`` (one exception
handler: ``http_status`` and ``{"detail"}``), ``ui.chat.user_error`` (a message in the chat).
"""
from __future__ import annotations

from ingest.errors import EmbedderMismatchError, InputError, ModelUnavailableError, NewsbotError, StoreError  # noqa: F401


class QuestionError(NewsbotError, ValueError):
    """A question the bot will not answer as sent: empty, too long, a bad filter or history."""

    http_status = 422

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.http_status = status

    @property
    def status(self) -> int:
        return self.http_status


class RateLimited(QuestionError):
    """A client asked more often than the per-minute limit; ``retry_after`` is in seconds."""

    http_status = 429

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class EvalInputError(NewsbotError):
    """The QA file, the store or an option cannot be evaluated."""


class BenchmarkError(EvalInputError):
    """A benchmark cannot run with the inputs given."""
