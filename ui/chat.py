"""What the Gradio chat does, apart from Gradio: answer in a conversation, rate the last answer,
add articles, and the ``/ask`` API call. ``ui.app`` lays the page out and wires these handlers;
tests call them directly. Errors are raised (:class:`~bot.errors.QuestionError`, any
``NewsbotError``); :func:`user_error` in ``ui.app`` turns them into a message in the chat.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from bot.errors import QuestionError, RateLimited
from bot.events import AnswerEvent, TokenEvent

from .context import MAX_INPUTS, ServerContext
from .examples import example_questions
from .feedback import FeedbackTooLarge
from .labels import label
from .render import transcript_html


@dataclass(frozen=True)
class IngestUpdate:
    """One step of an add-articles request: the status text, and whether the store has changed
    (outlet, language and example lists then need refreshing)."""

    status: str
    changed: bool = False


class ChatHandlers:
    """The chat's handlers over one :class:`ServerContext`. A conversation is the list the chat
    keeps, one ``{"question", "answer": answer object, "filters"}`` per turn."""

    def __init__(self, ctx: ServerContext):
        self.ctx = ctx

    def language_choices(self, ui: str) -> list[tuple[str, str]]:
        return [(label(ui, "any"), "")] + [(code, code) for code in self.ctx.catalog.languages()]

    def example_samples(self, ui: str) -> list[list[str]]:
        return [[q] for q in example_questions(self.ctx.catalog.articles(), ui)]

    def chat(self, question: str, history: list[dict], ui: str, sources, since: str, until: str, lang: str,
             client: str) -> Iterator[tuple[str, list[dict], str]]:
        """Answer ``question`` in the conversation ``history``: yields (transcript HTML, conversation,
        question box) as the answer streams, the last with the answer added to the conversation."""
        if not (question or "").strip():
            raise QuestionError(label(ui, "empty_question"))
        history = list(history or [])
        filters = {"source": sources, "since": since, "until": until, "lang": lang}
        prepared = self.ctx.prepare(question, self.ctx.latest_turns(history), filters, client, ui=ui)
        q, text = prepared.question, ""
        yield transcript_html(history, ui, pending=(q, text)), history, ""
        for event in self.ctx.answer_events(prepared):
            match event:
                case TokenEvent(text=piece):
                    text += piece
                    yield transcript_html(history, ui, pending=(q, text)), history, ""
                case AnswerEvent(answer=answer):
                    history = history + [{"question": q, "answer": answer.to_dict(),
                                          "filters": prepared.filters.to_dict()}]
        yield transcript_html(history, ui), history, ""

    def rate(self, rating: str, history: list[dict], ui: str) -> str:
        """Record ``rating`` ("up"/"down") of the conversation's last answer; returns the status text."""
        if not history:
            return label(ui, "nothing_to_rate")
        last = history[-1]
        try:
            self.ctx.feedback.record(rating, last["question"], last["answer"], last.get("filters"), channel="chat")
        except FeedbackTooLarge as err:
            return str(err)
        return label(ui, "thanks")

    def add_refusal(self, paths: list[str], lines: list[str], ui: str, client: str, uploads: set[str]) -> str:
        """Why an add-articles request is refused ("" when it may go on): the rate limit, too many
        inputs, or a file that is not among ``uploads`` (the files Gradio stored: a client may not
        name a path on the server)."""
        try:
            self.ctx.check_rate(client, ui)
        except RateLimited as err:
            return str(err)
        if len(paths) + len(lines) > MAX_INPUTS:
            return f"{len(paths) + len(lines)} inputs: at most {MAX_INPUTS} files and URLs at a time"
        uploaded = {str(Path(p).resolve()) for p in uploads}
        named = [p for p in paths if str(Path(p).resolve()) not in uploaded]
        if named:
            return f"refused: {len(named)} file(s) were not uploaded to this server"
        return ""

    def add_articles(self, paths: list[str] | None, url_text: str, ui: str, client: str,
                     uploads: set[str]) -> Iterator[IngestUpdate]:
        """Ingest uploaded files and pasted web addresses, reporting progress as it goes."""
        paths = [str(p) for p in (paths or [])]
        lines = [u.strip() for u in (url_text or "").splitlines() if u.strip()]
        refusal = self.add_refusal(paths, lines, ui, client, uploads)
        if refusal:
            yield IngestUpdate(refusal)
            return
        # Only web addresses: a path typed here must never read the server's own files.
        url_list = [u for u in lines if u.lower().startswith(("http://", "https://"))]
        not_urls = [f"{u[:200]}: {label(ui, 'not_url')}" for u in lines if u not in url_list]
        if not paths and not url_list:
            yield IngestUpdate("\n".join([label(ui, "nothing_to_add")] + not_urls))
            return

        def rename(msg: str) -> str:
            for p in paths:
                msg = msg.replace(p, Path(p).name)
            return msg

        # The uploads are deleted once ingested, and may not be named again.
        uploads.difference_update(paths + [str(Path(p).resolve()) for p in paths])
        thread, progress = self.ctx.ingests.start(paths + url_list, rename=rename, delete_files=paths)
        progress.errors.extend(not_urls)
        if progress.waiting:
            yield IngestUpdate(label(ui, "ingest_busy"))
        while not progress.done:
            r = progress.report
            yield IngestUpdate(label(ui, "ingest_running", inputs=r.inputs, articles=r.articles,
                                     chunks=r.chunks_embedded, errors=len(progress.errors)))
            thread.join(0.5)
        r = progress.report
        out = [progress.failure] if progress.failure else [
            label(ui, "ingest_done", articles=r.articles, new=r.articles_new, changed=r.articles_changed,
                  unchanged=r.articles_unchanged, chunks=r.chunks_embedded, errors=len(progress.errors),
                  seconds=r.seconds)]
        if progress.errors:
            out += [label(ui, "bad_inputs")] + [f"• {e}" for e in progress.errors]
        yield IngestUpdate("\n".join(out), changed=True)

    def ask(self, question, history=None, filters=None, k=5, client: str = "") -> dict:
        """The ``/ask`` API call: the same JSON object as ``POST /api/ask``."""
        prepared = self.ctx.prepare(question, history, filters, client, ui="en", k=k)
        return self.ctx.answer(prepared).to_dict()
