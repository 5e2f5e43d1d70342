"""The Gradio web chat: streamed answers with numbered, highlighted source cards, filters,
example questions, an "add articles" panel, thumbs up/down, in English or French.

This module lays the page out and wires its events to :class:`ui.chat.ChatHandlers`, which do
the work. The conversation is rendered by :mod:`ui.render` (everything from articles escaped)
into one ``gr.HTML``; a click on a marker ``[n]`` scrolls its card into view.
"""
from __future__ import annotations

import html
from types import SimpleNamespace

import gradio as gr

from ingest.errors import NewsbotError

from .chat import ChatHandlers
from .context import ServerContext
from .labels import LANGUAGES, label, preferred_language
from .render import transcript_html

CSS = """
.nb-transcript { display: flex; flex-direction: column; gap: 1rem; }
.nb-turn { border-bottom: 1px solid var(--border-color-primary); padding-bottom: .75rem; }
.nb-q { font-weight: 600; margin-bottom: .4rem; }
.nb-who { display: inline-block; margin-right: .5rem; padding: 0 .4rem; border-radius: .3rem;
          background: var(--color-accent-soft); font-size: .8em; }
.nb-a { line-height: 1.5; white-space: pre-wrap; overflow-wrap: anywhere; }
.nb-short-answer { font-size: 1.15em; margin: .1em 0 .4em; }
.nb-refused { font-style: italic; }
.nb-notice { font-size: .85em; opacity: .75; }
a.nb-cite { font-weight: 700; text-decoration: none; cursor: pointer; padding: 0 .1rem; }
.nb-sources-label { margin-top: .6rem; font-size: .85em; font-weight: 600; text-transform: uppercase; opacity: .7; }
ol.nb-sources { list-style: none; padding: 0; margin: .3rem 0 0; display: flex; flex-direction: column; gap: .5rem; }
li.nb-card { border: 1px solid var(--border-color-primary); border-radius: .5rem; padding: .5rem .7rem;
             overflow-wrap: anywhere; transition: box-shadow .3s; scroll-margin: 4rem; }
li.nb-card.nb-flash { box-shadow: 0 0 0 3px var(--color-accent); }
.nb-card-head { font-weight: 600; }
.nb-meta { font-size: .85em; opacity: .75; }
blockquote.nb-passage { position: relative; margin: .4rem 0 0; padding-left: .6rem; border-left: 3px solid var(--border-color-primary);
                        font-size: .9em; white-space: pre-wrap; max-height: 14rem; overflow: auto; }
.nb-error { padding: .4rem .7rem; border-radius: .4rem; background: var(--error-background-fill, #fef2f2);
            color: var(--error-text-color, #b91c1c); border: 1px solid var(--error-border-color, #fca5a5); }
#nb-rate { align-items: center; }
#nb-examples-row { flex-wrap: wrap; gap: .4rem; }
#nb-examples-row button.nb-example { flex: 0 1 auto; width: auto; white-space: normal; text-align: left; font-weight: 400; }
mark.nb-hl { background: #ffe58a; color: #111; padding: 0 .1rem; border-radius: .15rem; }
.nb-date { font-size: .85em; font-style: italic; opacity: .8; }
.nb-empty { opacity: .6; }
.nb-caret { animation: nb-blink 1s steps(1) infinite; }
@keyframes nb-blink { 50% { opacity: 0; } }
/* On a phone the page scrolls, not the passage inside its card. */
@media (max-width: 640px) { .gradio-container { padding: .3rem !important; }
                            blockquote.nb-passage { max-height: none; overflow: visible; } }
"""

# Marker clicks bring the card into view; delegation on the component survives re-renders.
# Long passages scroll inside their card, so each one is scrolled to its first highlight.
CITE_CLICK_JS = """
function showHighlights() {
  element.querySelectorAll('blockquote.nb-passage:not([data-scrolled])').forEach(function (q) {
    const mark = q.querySelector('mark');
    q.dataset.scrolled = '1';
    if (mark) q.scrollTop = Math.max(0, mark.offsetTop - 24);
  });
}
new MutationObserver(showHighlights).observe(element, {childList: true, subtree: true});
showHighlights();
element.addEventListener('click', function (e) {
  const marker = e.target.closest('a.nb-cite');
  if (!marker) return;
  e.preventDefault();
  const card = document.getElementById(marker.dataset.target);
  if (!card) return;
  card.scrollIntoView({behavior: 'smooth', block: 'center'});
  card.classList.add('nb-flash');
  card.focus({preventScroll: true});
  setTimeout(function () { card.classList.remove('nb-flash'); }, 1600);
});
"""


EXAMPLES = 6  # example questions shown at most


def no_status() -> gr.Textbox:
    """The rating's status box, hidden until the answer above it is rated."""
    return gr.Textbox(value="", visible=False)


def _client(request: gr.Request | None) -> str:
    return (request.client.host if request is not None and request.client else "") or "unknown"


def user_error(err: Exception) -> gr.Error:
    """The one place an error becomes a Gradio API error (escaped: Gradio shows it as HTML)."""
    return gr.Error(html.escape(str(err)))


def chat_error(err: Exception, history: list[dict], ui: str) -> str:
    """The one place an error becomes a message in the chat: the conversation, then one line
    saying why the question was not answered (no toast, no error badge on every component)."""
    return transcript_html(history or [], ui, error=str(err))


def _layout(ctx: ServerContext, handlers: ChatHandlers) -> SimpleNamespace:
    """The page's components, labelled in English until the browser's language is known."""
    c = SimpleNamespace(turns=gr.State([]))
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            c.header = gr.Markdown(f"## {label('en', 'title')}\n{label('en', 'intro')}", elem_id="nb-header")
        with gr.Column(scale=1, min_width=260):
            c.ui_lang = gr.Radio([(name, code) for code, name in LANGUAGES.items()], value="en",
                                 label=label("en", "ui_lang"), elem_id="nb-ui-lang")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            c.transcript = gr.HTML(transcript_html([], "en"), elem_id="nb-transcript", js_on_load=CITE_CLICK_JS,
                                   min_height=120)
            with gr.Row(visible=False, elem_id="nb-rate") as c.rate_row:  # shown under an answer only
                c.up = gr.Button(label("en", "helpful"), size="sm", elem_id="nb-up", min_width=80)
                c.down = gr.Button(label("en", "unhelpful"), size="sm", elem_id="nb-down", min_width=80)
                c.feedback_status = gr.Textbox(show_label=False, interactive=False, container=False, visible=False,
                                               elem_id="nb-feedback-status", scale=2, min_width=160)
            c.question = gr.Textbox(label=label("en", "question"), placeholder=label("en", "placeholder"),
                                    elem_id="nb-question", lines=1, max_lines=4, submit_btn=False)
            with gr.Row():
                c.ask_btn = gr.Button(label("en", "ask"), variant="primary", elem_id="nb-ask", min_width=80)
                c.clear_btn = gr.Button(label("en", "clear"), elem_id="nb-clear", min_width=80)
            # Buttons, not a gr.Dataset: a Dataset cuts a sample at 60 characters ("…"), a question must read whole.
            with gr.Column(elem_id="nb-examples"):
                c.examples_label = gr.Markdown(f"**{label('en', 'examples')}**", elem_id="nb-examples-label")
                with gr.Row(elem_id="nb-examples-row"):
                    c.examples = [gr.Button(size="sm", visible=False, elem_classes=["nb-example"], min_width=0)
                                  for _ in range(EXAMPLES)]
        with gr.Column(scale=1, min_width=260):
            with gr.Accordion(label("en", "filters"), open=True, elem_id="nb-filters") as c.filters_box:
                c.outlet = gr.Dropdown(choices=ctx.catalog.outlets(), value=[], multiselect=True,
                                       label=label("en", "outlet"), elem_id="nb-outlet", allow_custom_value=False)
                c.since = gr.Textbox(label=label("en", "since"), placeholder=label("en", "date_placeholder"), elem_id="nb-since")
                c.until = gr.Textbox(label=label("en", "until"), placeholder=label("en", "date_placeholder"), elem_id="nb-until")
                c.art_lang = gr.Dropdown(choices=handlers.language_choices("en"), value="",
                                         label=label("en", "article_lang"), elem_id="nb-art-lang")
            with gr.Accordion(label("en", "add"), open=False, elem_id="nb-add") as c.add_box:
                c.files = gr.File(file_count="multiple", type="filepath", label=label("en", "files"), elem_id="nb-files")
                c.urls = gr.Textbox(label=label("en", "urls"), lines=3, placeholder="https://…", elem_id="nb-urls")
                c.ingest_btn = gr.Button(label("en", "ingest"), elem_id="nb-ingest")
                c.ingest_status = gr.Textbox(show_label=False, interactive=False, lines=3, max_lines=20,
                                             elem_id="nb-ingest-status", container=False)
    return c


def _labelled(c: SimpleNamespace) -> list:
    return [c.header, c.ui_lang, c.up, c.down, c.question, c.ask_btn, c.clear_btn, c.examples_label, c.filters_box,
            c.outlet, c.since, c.until, c.art_lang, c.add_box, c.files, c.urls, c.ingest_btn, *c.examples]


def example_buttons(handlers: ChatHandlers, ui: str) -> list:
    """The example question buttons: one per question, the others hidden."""
    questions = [q for [q] in handlers.example_samples(ui)][:EXAMPLES]
    return [gr.Button(value=q, visible=True) for q in questions] + \
        [gr.Button(visible=False)] * (EXAMPLES - len(questions))


def _relabel(ctx: ServerContext, handlers: ChatHandlers, ui: str, history: list[dict]) -> list:
    """New labels for :func:`_labelled` in ``ui``'s language, then the transcript."""
    return [
        gr.update(value=f"## {label(ui, 'title')}\n{label(ui, 'intro')}"),
        gr.update(value=ui),
        gr.update(value=label(ui, "helpful")),
        gr.update(value=label(ui, "unhelpful")),
        gr.update(label=label(ui, "question"), placeholder=label(ui, "placeholder")),
        gr.update(value=label(ui, "ask")),
        gr.update(value=label(ui, "clear")),
        gr.update(value=f"**{label(ui, 'examples')}**"),
        gr.update(label=label(ui, "filters")),
        gr.update(label=label(ui, "outlet"), choices=ctx.catalog.outlets()),
        gr.update(label=label(ui, "since"), placeholder=label(ui, "date_placeholder")),
        gr.update(label=label(ui, "until"), placeholder=label(ui, "date_placeholder")),
        gr.update(label=label(ui, "article_lang"), choices=handlers.language_choices(ui)),
        gr.update(label=label(ui, "add")),
        gr.update(label=label(ui, "files")),
        gr.update(label=label(ui, "urls")),
        gr.update(value=label(ui, "ingest")),
        *example_buttons(handlers, ui),
        transcript_html(history, ui),
    ]


def _wire_chat(demo: gr.Blocks, ctx: ServerContext, handlers: ChatHandlers, c: SimpleNamespace) -> None:
    """Language, questions, clearing and ratings."""

    def relabel(ui: str, history: list[dict]):
        return _relabel(ctx, handlers, ui, history)

    def on_load(history: list[dict], request: gr.Request):
        return relabel(preferred_language(request.headers.get("accept-language", "") if request else ""), history)

    outputs = _labelled(c) + [c.transcript]
    demo.load(on_load, [c.turns], outputs, api_visibility="private", queue=False)
    c.ui_lang.input(relabel, [c.ui_lang, c.turns], outputs, api_visibility="private", queue=False)

    def chat(q: str, history: list[dict], ui: str, sources: list[str], since: str, until: str, lang: str,
             request: gr.Request):
        """Answer ``q`` in the conversation ``history``; yields the transcript as the answer streams,
        then shows the rating buttons under it. A question refused (empty, too long, a bad date…)
        gets one message where its answer would be; the question stays in its box to be fixed."""
        try:
            for transcript, turns, box in handlers.chat(q, history, ui, sources, since, until, lang, _client(request)):
                yield transcript, turns, box, gr.update(), no_status()
            yield gr.update(), gr.update(), gr.update(), gr.Row(visible=True), no_status()
        except NewsbotError as err:
            yield chat_error(err, history, ui), gr.update(), gr.update(), gr.update(), no_status()

    chat_inputs = [c.question, c.turns, c.ui_lang, c.outlet, c.since, c.until, c.art_lang]
    chat_outputs = [c.transcript, c.turns, c.question, c.rate_row, c.feedback_status]
    c.ask_btn.click(chat, chat_inputs, chat_outputs, api_name="chat", show_progress="minimal")
    c.question.submit(chat, chat_inputs, chat_outputs, api_visibility="private", show_progress="minimal")
    for button in c.examples:
        button.click(lambda question: question, [button], [c.question], api_visibility="private", queue=False)
    c.clear_btn.click(lambda ui: ([], transcript_html([], ui), no_status(), gr.Row(visible=False)), [c.ui_lang],
                      [c.turns, c.transcript, c.feedback_status, c.rate_row], api_visibility="private", queue=False)
    def rate(rating: str):
        return lambda history, ui: gr.Textbox(value=handlers.rate(rating, history, ui), visible=True)

    for button, rating in ((c.up, "up"), (c.down, "down")):
        button.click(rate(rating), [c.turns, c.ui_lang], [c.feedback_status], api_visibility="private", queue=False)


def _wire_add_and_api(demo: gr.Blocks, ctx: ServerContext, handlers: ChatHandlers, c: SimpleNamespace) -> None:
    """The add-articles panel and the ``/ask`` API call."""

    def add_articles(paths: list[str] | None, url_text: str, ui: str, request: gr.Request):
        keep = (gr.update(),) * (2 + EXAMPLES)
        for step in handlers.add_articles(paths, url_text, ui, _client(request), demo.upload_file_set):
            if not step.changed:
                yield (step.status,) + keep
            else:
                yield (step.status, gr.update(choices=ctx.catalog.outlets()),
                       gr.update(choices=handlers.language_choices(ui)), *example_buttons(handlers, ui))

    c.ingest_btn.click(add_articles, [c.files, c.urls, c.ui_lang], [c.ingest_status, c.outlet, c.art_lang, *c.examples],
                       api_visibility="private", concurrency_limit=1, concurrency_id="ingest")

    def ask(question: str, history: list[dict] | None = None, filters: dict | None = None, k: int = 5,
            request: gr.Request | None = None) -> dict:
        """Answer a question; returns the same JSON object as POST /api/ask.

        history: earlier turns [{"question", "answer"}]; filters: {"source", "since", "until", "lang"}.
        """
        try:
            return handlers.ask(question, history, filters, k, _client(request))
        except NewsbotError as err:
            raise user_error(err) from None

    gr.api(ask, api_name="ask")


UPLOAD_SWEEP = (300, 900)  # Gradio's delete_cache: (every N seconds, files older than M seconds)


def build_chat(ctx: ServerContext) -> gr.Blocks:
    handlers = ChatHandlers(ctx)
    # Uploads are deleted once ingested (ChatHandlers.add_articles); those never ingested are
    # swept every 5 minutes once 15 minutes old, and all at shutdown.
    with gr.Blocks(title=label("en", "title"), fill_width=True, delete_cache=UPLOAD_SWEEP) as demo:
        page = _layout(ctx, handlers)
        _wire_chat(demo, ctx, handlers, page)
        _wire_add_and_api(demo, ctx, handlers, page)
    demo.queue(default_concurrency_limit=8)
    return demo
