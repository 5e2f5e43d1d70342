"""The REST API: ask (JSON or server-sent events), health, the article list, uploads and feedback.

Handlers are plain functions run in FastAPI's thread pool, so slow answers and ingests never
block the event loop; they only translate between HTTP and ``ServerContext``: a question goes
through :meth:`ServerContext.prepare`, and the project's errors become HTTP statuses in the
server's one exception handler (``ui.server``).
"""
from __future__ import annotations

import dataclasses
import hmac
import json
from datetime import date
from typing import Annotated, Any, Iterator, get_type_hints

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)

from bot.answer_types import Answer
from bot.events import AnswerEvent, TokenEvent
from bot.news_time import ISO_DAY
from ingest.dates import EARLIEST, LATEST, in_range
from ingest.model import ArticleSummary

from .context import MAX_INPUTS, PreparedQuestion, ServerContext
from .feedback import FeedbackTooLarge

_DATE = f"^({ISO_DAY})?$"


class TurnIn(BaseModel):
    question: str
    answer: str = ""


_Outlet = Annotated[str, StringConstraints(max_length=300)]


def calendar_day(value: str) -> str:
    """``value`` when it is empty or a real day of the years 1000–2999 written YYYY-MM-DD
    (2025-02-30 and 0000-01-01 are not)."""
    if value:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value[:20]}' is not a day of the calendar") from None
        if not in_range(day):
            raise ValueError(f"{value} is out of range: give a day from {EARLIEST} to {LATEST}")
    return value


_Day = Annotated[str, AfterValidator(calendar_day)]


def _day_text(value):
    """A day is written YYYY-MM-DD: a number (0, a Unix time) is not read as one."""
    if isinstance(value, (int, float)):
        raise ValueError("a day is written YYYY-MM-DD, not as a number")
    return value


class FiltersIn(BaseModel):
    source: Annotated[list[_Outlet], Field(max_length=100)] | _Outlet = Field(
        default_factory=list, description="outlet(s) to search, as in /api/articles (at most 100)")
    since: _Day = Field(default="", pattern=_DATE, description="published on or after (YYYY-MM-DD)")
    until: _Day = Field(default="", pattern=_DATE, description="published on or before (YYYY-MM-DD)")
    lang: str = Field(default="", max_length=8, description="article language, e.g. 'fr'")


class AskRequest(BaseModel):
    question: str = Field(description="the question, in any language")
    history: list[TurnIn] = Field(default_factory=list, description="earlier turns, oldest first, for follow-ups "
                                  "(at most NEWSBOT_MAX_HISTORY_TURNS turns and NEWSBOT_MAX_HISTORY_CHARS characters)")
    filters: FiltersIn | None = None
    k: int = Field(default=5, ge=1, le=50, strict=True, description="passages to retrieve (a number: true is no 1)")
    as_of: Annotated[date | None, BeforeValidator(_day_text)] = Field(default=None, description="ask as of this day (YYYY-MM-DD; default today): later "
                               "articles are never cited, 'this week' means the week up to it")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"question": "When did Trump and Putin last speak?", "filters": {"lang": "fr"}, "as_of": "2025-07-05"}]})


def response_model(cls: type, name: str, exclude: tuple[str, ...] = ()) -> type[BaseModel]:
    """The pydantic model of the dataclass ``cls``, less the fields in ``exclude``: its fields, types,
    defaults and descriptions come from the one definition in :mod:`bot.answer_types` (a nested
    :class:`~bot.answer_types.Citation` is described by pydantic from the dataclass itself)."""
    hints = get_type_hints(cls, include_extras=True)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in exclude:
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory)
        else:
            default = ...
        fields[f.name] = (hints[f.name], default)
    return create_model(name, __doc__=cls.__doc__, **fields)


# What /api/ask returns: Answer.to_dict(), the answer without the passages it was chosen from.
AnswerOut = response_model(Answer, "AnswerOut", exclude=("passages",))


class Health(BaseModel):
    status: str
    articles: int
    chunks: int
    embedder: str
    ingesting: bool


class ArticlePage(BaseModel):
    total: int
    offset: int
    limit: int
    articles: list[ArticleSummary]


class IngestResult(BaseModel):
    articles: int
    articles_new: int
    articles_changed: int
    articles_unchanged: int
    chunks_embedded: int
    errors: list[str] = Field(description="one message per bad input: which file or URL and why it was skipped")
    seconds: float


class FeedbackIn(BaseModel):
    rating: str = Field(pattern="^(up|down)$")
    question: str = Field(max_length=20_000)
    answer: AnswerOut  # type: ignore[valid-type]  # a model built at import from bot.answer_types.Answer
    filters: FiltersIn | None = None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _guards(ctx: ServerContext) -> tuple[list, list]:
    """(dependencies of the question routes: the token; of the other guarded routes: the token and
    the rate limit). Questions are rate-limited by :meth:`ServerContext.prepare` itself."""
    settings = ctx.settings

    def require_token(request: Request) -> None:
        if not settings.api_token:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.api_token.encode()):
            raise HTTPException(401, "missing or wrong bearer token: send 'Authorization: Bearer <NEWSBOT_API_TOKEN>'",
                                headers={"WWW-Authenticate": "Bearer"})

    def rate_limit(request: Request) -> None:
        ctx.check_rate(_client(request))

    return [Depends(require_token)], [Depends(require_token), Depends(rate_limit)]


def _prepare(ctx: ServerContext, req: AskRequest, request: Request) -> PreparedQuestion:
    f = req.filters or FiltersIn()
    return ctx.prepare(req.question, [t.model_dump() for t in req.history], f.model_dump(), _client(request), k=req.k)


def _sse(ctx: ServerContext, prepared: PreparedQuestion, as_of) -> Iterator[str]:
    try:
        for event in ctx.answer_events(prepared, as_of=as_of):
            match event:
                case TokenEvent(text=text):
                    yield f"event: token\ndata: {json.dumps({'text': text}, ensure_ascii=False)}\n\n"
                case AnswerEvent(answer=answer):
                    yield f"event: answer\ndata: {json.dumps(answer.to_dict(), ensure_ascii=False)}\n\n"
    except Exception as err:  # the stream has started: report in-band
        yield f"event: error\ndata: {json.dumps({'detail': str(err)}, ensure_ascii=False)}\n\n"


_STREAM_DOC = ("Server-sent events: `token` events (`{\"text\"}`) as the answer is written, then one "
               "`answer` event with the same object as POST /api/ask (or an `error` event).")


def _add_ask_routes(router: APIRouter, ctx: ServerContext, asking: list) -> None:
    @router.post("/ask", response_model=AnswerOut, response_model_exclude_unset=True, dependencies=asking,
                 summary="Answer a question with cited passages",
                 responses={413: {"description": "request body too large"},
                            422: {"description": "question too long, empty, or bad filters"},
                            429: {"description": "rate limit reached"}})
    def ask(req: AskRequest, request: Request) -> dict:
        return ctx.answer(_prepare(ctx, req, request), as_of=req.as_of).to_dict()

    @router.post("/ask/stream", dependencies=asking, summary="Answer a question, streamed as server-sent events",
                 description=_STREAM_DOC, response_class=StreamingResponse,
                 responses={200: {"content": {"text/event-stream": {}}}})
    def ask_stream(req: AskRequest, request: Request) -> StreamingResponse:
        prepared = _prepare(ctx, req, request)
        return StreamingResponse(_sse(ctx, prepared, req.as_of), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @router.get("/ask/stream", dependencies=asking, summary="Same as POST /api/ask/stream, for EventSource",
                description=_STREAM_DOC, response_class=StreamingResponse,
                responses={200: {"content": {"text/event-stream": {}}}})
    def ask_stream_get(request: Request, question: str, source: list[str] = Query(default=[]),
                       since: str = Query("", pattern=_DATE), until: str = Query("", pattern=_DATE),
                       lang: str = Query("", max_length=8), k: int = Query(5, ge=1, le=50),
                       as_of: date | None = None) -> StreamingResponse:
        try:  # validated here, not in the parameters: a bad value is a 422 like the POST's, never a 500
            req = AskRequest(question=question, k=k, as_of=as_of,
                             filters=FiltersIn(source=source, since=since, until=until, lang=lang))
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None
        return ask_stream(req, request)


def _add_article_routes(router: APIRouter, ctx: ServerContext, guarded: list) -> None:
    @router.get("/articles", response_model=ArticlePage, dependencies=guarded,
                summary="The stored articles, newest first, a page at a time")
    def articles(offset: int = Query(0, ge=0), limit: int = Query(20, ge=1, le=200)) -> dict:
        arts = ctx.catalog.articles()
        return {"total": len(arts), "offset": offset, "limit": limit, "articles": arts[offset:offset + limit]}

    @router.post("/articles", response_model=IngestResult, dependencies=guarded,
                 summary="Add articles: upload files and/or give URLs (one per line); bad inputs are listed",
                 responses={413: {"description": "upload larger than NEWSBOT_MAX_UPLOAD_BYTES"}})
    def add_articles(files: list[UploadFile] = File(default=[]), urls: str = Form("")) -> dict:
        url_list = [u.strip() for u in urls.splitlines() if u.strip()]
        if len(url_list) + len(files) > MAX_INPUTS:
            raise HTTPException(422, f"{len(url_list) + len(files)} inputs: at most {MAX_INPUTS} files and URLs "
                                     "per request")
        bad = [u for u in url_list if not u.startswith(("http://", "https://"))]
        if bad:
            raise HTTPException(422, f"not http(s) URLs: {', '.join(u[:200] for u in bad[:10])}")
        payload = [(f.filename or "upload", f.file.read()) for f in files]
        if not payload and not url_list:
            raise HTTPException(422, "nothing to add: send files and/or urls")
        progress = ctx.ingests.ingest_files(payload, url_list)
        if progress.failure:
            raise HTTPException(500, progress.failure)
        r = progress.report
        return {"articles": r.articles, "articles_new": r.articles_new, "articles_changed": r.articles_changed,
                "articles_unchanged": r.articles_unchanged, "chunks_embedded": r.chunks_embedded,
                "errors": progress.errors, "seconds": round(r.seconds, 2)}


def build_router(ctx: ServerContext) -> APIRouter:
    asking, guarded = _guards(ctx)
    router = APIRouter(prefix="/api", tags=["newsbot"])

    @router.get("/health", response_model=Health, summary="Is the server up, and what does the store hold")
    def health() -> dict:
        arts = ctx.catalog.articles()
        return {"status": "ok", "articles": len(arts), "chunks": ctx.bot.store.count(),
                "embedder": ctx.bot.store.embedder.name, "ingesting": ctx.ingests.busy}

    _add_ask_routes(router, ctx, asking)
    _add_article_routes(router, ctx, guarded)

    @router.post("/feedback", dependencies=guarded, summary="Record a thumbs up or down on an answer",
                 responses={413: {"description": "entry larger than NEWSBOT_FEEDBACK_MAX_RECORD_BYTES"}})
    def feedback(fb: FeedbackIn) -> dict:
        try:
            ctx.feedback.record(fb.rating, fb.question, fb.answer.model_dump(exclude_none=True),  # type: ignore[attr-defined]
                                fb.filters.model_dump() if fb.filters else {}, channel="api")
        except FeedbackTooLarge as err:
            raise HTTPException(413, str(err)) from None
        return {"recorded": True}

    return router
