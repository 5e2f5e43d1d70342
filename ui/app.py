"""The Gradio web chat: streamed answers with numbered, highlighted source cards, filters,
example questions, an "add articles" panel, thumbs up/down, in English or French.

The conversation is rendered by :mod:`ui.render` (everything from articles escaped) into one
``gr.HTML``; a click on a marker ``[n]`` scrolls its card into view.
"""
from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from bot.newsbot import Turn
from ingest.errors import NewsbotError

from .context import MAX_INPUTS, QuestionError, ServerContext
from .feedback import FeedbackTooLarge
from .labels import LANGUAGES, label, preferred_language
from .render import transcript_html

CSS = """
.nb-transcript { display: flex; flex-direction: column; gap: 1rem; }
.nb-turn { border-bottom: 1px solid var(--border-color-primary); padding-bottom: .75rem; }
.nb-q { font-weight: 600; margin-bottom: .4rem; }
.nb-who { display: inline-block; margin-right: .5rem; padding: 0 .4rem; border-radius: .3rem;
          background: var(--color-accent-soft); font-size: .8em; }
.nb-a { line-height: 1.5; white-space: pre-wrap; overflow-wrap: anywhere; }
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
mark.nb-hl { background: #ffe58a; color: #111; padding: 0 .1rem; border-radius: .15rem; }
.nb-date { font-size: .85em; font-style: italic; opacity: .8; }
.nb-empty { opacity: .6; }
.nb-caret { animation: nb-blink 1s steps(1) infinite; }
@keyframes nb-blink { 50% { opacity: 0; } }
@media (max-width: 640px) { .gradio-container { padding: .3rem !important; } }
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


def _client(request: gr.Request | None) -> str:
    return (request.client.host if request is not None and request.client else "") or "unknown"


def add_refusal(ctx: ServerContext, blocks: gr.Blocks, paths: list[str], lines: list[str], ui: str,
                request: gr.Request | None) -> str:
    """Why an add-articles request is refused ("" when it may go on): the rate limit, too many
    inputs, or a file that Gradio's upload route did not store (a path the client names)."""
    wait = ctx.limiter.retry_after(_client(request))
    if wait:
        return label(ui, "rate", limit=ctx.limiter.per_minute, wait=round(wait))
    if len(paths) + len(lines) > MAX_INPUTS:
        return f"{len(paths) + len(lines)} inputs: at most {MAX_INPUTS} files and URLs at a time"
    uploads = {str(Path(p).resolve()) for p in blocks.upload_file_set}
    named = [p for p in paths if str(Path(p).resolve()) not in uploads]
    if named:
        return f"refused: {len(named)} file(s) were not uploaded to this server"
    return ""


def api_history(history) -> list[Turn]:
    """Turns of the Gradio API's ``history``: a list of {"question", "answer"} objects."""
    if history is None:
        return []
    if not isinstance(history, list) or not all(isinstance(t, dict) for t in history):
        raise QuestionError('history is a list of {"question", "answer"} objects')
    turns = [Turn(t.get("question", ""), t.get("answer", "")) for t in history]
    if not all(isinstance(t.question, str) and isinstance(t.answer, str) for t in turns):
        raise QuestionError("each turn's question and answer are strings")
    return turns


def build_chat(ctx: ServerContext) -> gr.Blocks:
    bot = ctx.bot

    def lang_choices(ui: str) -> list[tuple[str, str]]:
        return [(label(ui, "any"), "")] + [(code, code) for code in ctx.catalog.languages()]

    def example_samples(ui: str) -> list[list[str]]:
        return [[q] for q in ctx.catalog.example_questions(ui)]

    with gr.Blocks(title=label("en", "title"), fill_width=True) as demo:
        turns = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                header = gr.Markdown(f"## {label('en', 'title')}\n{label('en', 'intro')}", elem_id="nb-header")
            with gr.Column(scale=1, min_width=260):
                ui_lang = gr.Radio([(name, code) for code, name in LANGUAGES.items()], value="en",
                                   label=label("en", "ui_lang"), elem_id="nb-ui-lang")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                transcript = gr.HTML(transcript_html([], "en"), elem_id="nb-transcript", js_on_load=CITE_CLICK_JS,
                                     min_height=120)
                with gr.Row():
                    up = gr.Button(label("en", "helpful"), size="sm", elem_id="nb-up", min_width=80)
                    down = gr.Button(label("en", "unhelpful"), size="sm", elem_id="nb-down", min_width=80)
                    feedback_status = gr.Textbox(show_label=False, interactive=False, container=False,
                                                 elem_id="nb-feedback-status", scale=2, min_width=160)
                question = gr.Textbox(label=label("en", "question"), placeholder=label("en", "placeholder"),
                                      elem_id="nb-question", lines=1, max_lines=4, submit_btn=False)
                with gr.Row():
                    ask_btn = gr.Button(label("en", "ask"), variant="primary", elem_id="nb-ask", min_width=80)
                    clear_btn = gr.Button(label("en", "clear"), elem_id="nb-clear", min_width=80)
                examples = gr.Dataset(components=[question], samples=example_samples("en"), label=label("en", "examples"),
                                      elem_id="nb-examples", samples_per_page=6)
            with gr.Column(scale=1, min_width=260):
                with gr.Accordion(label("en", "filters"), open=True, elem_id="nb-filters") as filters_box:
                    outlet = gr.Dropdown(choices=ctx.catalog.outlets(), value=[], multiselect=True,
                                         label=label("en", "outlet"), elem_id="nb-outlet", allow_custom_value=False)
                    since = gr.Textbox(label=label("en", "since"), placeholder="2025-01-01", elem_id="nb-since")
                    until = gr.Textbox(label=label("en", "until"), placeholder="2025-12-31", elem_id="nb-until")
                    art_lang = gr.Dropdown(choices=lang_choices("en"), value="", label=label("en", "article_lang"),
                                           elem_id="nb-art-lang")
                with gr.Accordion(label("en", "add"), open=False, elem_id="nb-add") as add_box:
                    files = gr.File(file_count="multiple", type="filepath", label=label("en", "files"), elem_id="nb-files")
                    urls = gr.Textbox(label=label("en", "urls"), lines=3, placeholder="https://…", elem_id="nb-urls")
                    ingest_btn = gr.Button(label("en", "ingest"), elem_id="nb-ingest")
                    ingest_status = gr.Textbox(show_label=False, interactive=False, lines=3, max_lines=20,
                                               elem_id="nb-ingest-status", container=False)

        labelled = [header, ui_lang, up, down, question, ask_btn, clear_btn, examples, filters_box, outlet, since,
                    until, art_lang, add_box, files, urls, ingest_btn]

        def relabel(ui: str, history: list[dict]):
            return [
                gr.update(value=f"## {label(ui, 'title')}\n{label(ui, 'intro')}"),
                gr.update(value=ui),
                gr.update(value=label(ui, "helpful")),
                gr.update(value=label(ui, "unhelpful")),
                gr.update(label=label(ui, "question"), placeholder=label(ui, "placeholder")),
                gr.update(value=label(ui, "ask")),
                gr.update(value=label(ui, "clear")),
                gr.Dataset(samples=example_samples(ui), label=label(ui, "examples")),
                gr.update(label=label(ui, "filters")),
                gr.update(label=label(ui, "outlet"), choices=ctx.catalog.outlets()),
                gr.update(label=label(ui, "since")),
                gr.update(label=label(ui, "until")),
                gr.update(label=label(ui, "article_lang"), choices=lang_choices(ui)),
                gr.update(label=label(ui, "add")),
                gr.update(label=label(ui, "files")),
                gr.update(label=label(ui, "urls")),
                gr.update(value=label(ui, "ingest")),
                transcript_html(history, ui),
            ]

        def on_load(history: list[dict], request: gr.Request):
            ui = preferred_language(request.headers.get("accept-language", "") if request else "")
            return relabel(ui, history)

        demo.load(on_load, [turns], labelled + [transcript], api_visibility="private", queue=False)
        ui_lang.input(relabel, [ui_lang, turns], labelled + [transcript], api_visibility="private", queue=False)

        def chat(q: str, history: list[dict], ui: str, sources: list[str], since_v: str, until_v: str, lang_v: str,
                 request: gr.Request):
            """Answer ``q`` in the conversation ``history``; yields the transcript as the answer streams."""
            history = list(history or [])
            try:
                q = ctx.check_question(q, ui)
                filters = ctx.filters(sources, since_v, until_v, lang_v, ui=ui)
            except QuestionError as err:
                raise gr.Error(html.escape(str(err))) from None
            wait = ctx.limiter.retry_after(_client(request))
            if wait:
                raise gr.Error(html.escape(label(ui, "rate", limit=ctx.limiter.per_minute, wait=round(wait))))
            prior = [Turn(t["question"], t["answer"].get("answer", "")) for t in history]
            text = ""
            yield transcript_html(history, ui, pending=(q, text)), history, ""
            try:
                for event in bot.stream(q, history=prior, filters=filters):
                    if event.get("type") == "token":
                        text += event["text"]
                        yield transcript_html(history, ui, pending=(q, text)), history, ""
                    elif event.get("type") == "answer":
                        history = history + [{"question": q, "answer": event["answer"].to_dict(),
                                              "filters": filters.to_dict()}]
            except NewsbotError as err:
                raise gr.Error(html.escape(str(err))) from None
            yield transcript_html(history, ui), history, ""

        chat_inputs = [question, turns, ui_lang, outlet, since, until, art_lang]
        chat_outputs = [transcript, turns, question]
        ask_btn.click(chat, chat_inputs, chat_outputs, api_name="chat", show_progress="minimal")
        question.submit(chat, chat_inputs, chat_outputs, api_visibility="private", show_progress="minimal")
        examples.click(lambda sample: sample[0], [examples], [question], api_visibility="private", queue=False)
        clear_btn.click(lambda ui: ([], transcript_html([], ui), ""), [ui_lang], [turns, transcript, feedback_status],
                        api_visibility="private", queue=False)

        def rate(rating: str):
            def record(history: list[dict], ui: str) -> str:
                if not history:
                    return label(ui, "nothing_to_rate")
                last = history[-1]
                try:
                    ctx.feedback.record(rating, last["question"], last["answer"], last.get("filters"), channel="chat")
                except FeedbackTooLarge as err:
                    return str(err)
                return label(ui, "thanks")
            return record

        up.click(rate("up"), [turns, ui_lang], [feedback_status], api_visibility="private", queue=False)
        down.click(rate("down"), [turns, ui_lang], [feedback_status], api_visibility="private", queue=False)

        def add_articles(paths: list[str] | None, url_text: str, ui: str, request: gr.Request):
            paths = [str(p) for p in (paths or [])]
            lines = [u.strip() for u in (url_text or "").splitlines() if u.strip()]
            keep = (gr.update(), gr.update(), gr.update())
            refusal = add_refusal(ctx, demo, paths, lines, ui, request)
            if refusal:
                yield (refusal,) + keep
                return
            # Only web addresses: a path typed here must never read the server's own files.
            url_list = [u for u in lines if u.lower().startswith(("http://", "https://"))]
            not_urls = [f"{u[:200]}: {label(ui, 'not_url')}" for u in lines if u not in url_list]
            if not paths and not url_list:
                yield ("\n".join([label(ui, "nothing_to_add")] + not_urls),) + keep
                return

            def rename(msg: str) -> str:
                for p in paths:
                    msg = msg.replace(p, Path(p).name)
                return msg

            thread, progress = ctx.ingests.start(paths + url_list, rename=rename)
            progress.errors.extend(not_urls)
            if progress.waiting:
                yield (label(ui, "ingest_busy"),) + keep
            while not progress.done:
                r = progress.report
                yield (label(ui, "ingest_running", inputs=r.inputs, articles=r.articles, chunks=r.chunks_embedded,
                             errors=len(progress.errors)),) + keep
                thread.join(0.5)
            r = progress.report
            lines = [progress.failure] if progress.failure else [
                label(ui, "ingest_done", articles=r.articles, new=r.articles_new, changed=r.articles_changed,
                      unchanged=r.articles_unchanged, chunks=r.chunks_embedded, errors=len(progress.errors),
                      seconds=r.seconds)]
            if progress.errors:
                lines += [label(ui, "bad_inputs")] + [f"• {e}" for e in progress.errors]
            yield ("\n".join(lines), gr.update(choices=ctx.catalog.outlets()), gr.update(choices=lang_choices(ui)),
                   gr.Dataset(samples=example_samples(ui)))

        ingest_btn.click(add_articles, [files, urls, ui_lang], [ingest_status, outlet, art_lang, examples],
                         api_visibility="private", concurrency_limit=1, concurrency_id="ingest")

        def ask(question: str, history: list[dict] | None = None, filters: dict | None = None, k: int = 5,
                request: gr.Request = None) -> dict:
            """Answer a question; returns the same JSON object as POST /api/ask.

            history: earlier turns [{"question", "answer"}]; filters: {"source", "since", "until", "lang"}.
            """
            wait = ctx.limiter.retry_after(_client(request))
            if wait:
                raise gr.Error(label("en", "rate", limit=ctx.limiter.per_minute, wait=round(wait)))
            try:
                q = ctx.check_question(question if isinstance(question, str) else "")
                prior = api_history(history)
                ctx.check_history([(t.question, t.answer) for t in prior])
                f = filters if isinstance(filters, dict) else {}
                flt = ctx.filters(f.get("source"), f.get("since", ""), f.get("until", ""), f.get("lang", ""))
                if isinstance(k, bool) or not isinstance(k, (int, float)) or not 1 <= k <= 50:
                    raise QuestionError("k is the number of passages, from 1 to 50")
            except QuestionError as err:
                raise gr.Error(str(err)) from None
            return bot.ask(q, history=prior, filters=flt, k=int(k)).to_dict()

        gr.api(ask, api_name="ask")
    demo.queue(default_concurrency_limit=8)
    return demo
