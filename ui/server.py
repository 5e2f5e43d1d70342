"""``newsbot serve``: one FastAPI app with the REST API, the widget and the Gradio chat at "/"."""
from __future__ import annotations

import hmac
import json
from urllib.parse import urlparse

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from bot.errors import NewsbotError, RateLimited
from bot.runtime import Runtime

from .api import build_router
from .context import ServerContext
from .limits import (
    BodySizeLimit,
    ForwardedHeaders,
    FramePolicy,
    GradioSessionGuard,
    JsonBodyCheck,
    RateLimiter,
    RouteRateLimit,
    SecurityHeaders,
)
from .settings import Settings
from .widget import build_widget_router

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
_ALL_INTERFACES = ("0.0.0.0", "::", "")
DOCS_ASSETS = "/docs-assets"


def allowed_origins(settings: Settings) -> list[str]:
    return [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]


class OriginGuard:
    """Refuses (403) API calls (the REST API, and Gradio's: uploads and events) from a browser page
    on an origin that is neither this server nor configured; CORS alone would only stop the page
    from reading the answer, not the call itself."""

    def __init__(self, app, origins: list[str], prefix: str | tuple[str, ...] = "/api/"):
        self.app = app
        self.origins = set(origins)
        self.prefix = prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            origin = headers.get("origin", "")
            if origin and origin not in self.origins and urlparse(origin).netloc != headers.get("host", ""):
                body = json.dumps({"detail": f"origin {origin} is not allowed to call this API: "
                                             "add it to NEWSBOT_CORS_ORIGINS"}).encode()
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def trusted_hosts(settings: Settings, host: str = "") -> list[str]:
    """Host header values the server answers (DNS rebinding defence): loopback names, the
    address it listens on, and NEWSBOT_TRUSTED_HOSTS ("*" for any)."""
    names = list(LOOPBACK_HOSTS)
    if host and host not in _ALL_INTERFACES:
        names.append(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    names += [h.strip() for h in settings.trusted_hosts.split(",") if h.strip()]
    return ["*"] if "*" in names else names


def gradio_auth(settings: Settings):
    """Who may use the chat and the Gradio API: ``NEWSBOT_AUTH``'s user, and with
    ``NEWSBOT_API_TOKEN`` anyone giving the token as password (one token covers every door)."""
    user = password = ""
    if settings.auth:
        user, sep, password = settings.auth.partition(":")
        if not sep or not user:
            raise NewsbotError("NEWSBOT_AUTH must look like 'user:password'")
    if not settings.api_token:
        return (user, password) if user else None
    token = settings.api_token.encode()

    def check(name: str, given: str) -> bool:
        given_b = (given or "").encode("utf-8", "replace")
        if user and hmac.compare_digest(name.encode("utf-8", "replace"), user.encode()) \
                and hmac.compare_digest(given_b, password.encode()):
            return True
        return hmac.compare_digest(given_b, token)

    return check


def _gradio_event_check(blocks):
    """Refuses (422) a Gradio call naming an event that does not exist, instead of a 500."""
    def check(path: str, body: bytes) -> str:
        if not path.startswith("/gradio_api/"):
            return ""
        data = json.loads(body) if body.strip() else {}
        fn = data.get("fn_index") if isinstance(data, dict) else None
        if fn is not None and (not isinstance(fn, int) or isinstance(fn, bool) or fn not in blocks.fns):
            return f"unknown fn_index {fn!r}: see /gradio_api/info for the events of this app"
        return ""
    return check


def _add_guards(app: FastAPI, settings: Settings, ctx: ServerContext, origins: list[str], host: str, blocks) -> None:
    """Middleware, innermost first (each add_middleware wraps the ones before it)."""
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app.add_middleware(OriginGuard, origins=origins, prefix=("/api/", "/gradio_api/"))
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                       allow_headers=["Authorization", "Content-Type"], max_age=600)
    app.add_middleware(JsonBodyCheck, extra=_gradio_event_check(blocks), max_bytes=settings.max_json_bytes,
                       token=settings.api_token)
    # Uploads count against the same per-client limit as questions and ingests.
    app.add_middleware(RouteRateLimit, limiter=ctx.limiter, what="uploads",
                       applies=lambda method, path: method == "POST" and path.startswith("/gradio_api/upload"))
    app.add_middleware(RouteRateLimit, limiter=RateLimiter(settings.login_attempts_per_minute), what="login attempts",
                       applies=lambda method, path: method == "POST" and path.rstrip("/") == "/login")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(FramePolicy, ancestors=" ".join(["'self'", *origins]))
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=trusted_hosts(settings, host))
    app.add_middleware(ForwardedHeaders, trusted=settings.trusted_proxies)


def create_app(settings: Settings, runtime: Runtime | None = None, host: str = "127.0.0.1",
               context: ServerContext | None = None) -> FastAPI:
    """The whole server; its ``runtime`` (bot, store, background ingests) is built from
    ``settings`` unless handed in (or a whole ``context``, when the caller needs its ingest runner
    too); ``host`` is the address it listens on (a trusted Host name unless it means every interface)."""
    import gradio as gr

    from .app import CSS, build_chat

    ctx = context or ServerContext(settings, runtime or Runtime.from_settings(settings))
    origins = allowed_origins(settings)
    # /docs and /redoc from files in the package (fastapi-offline), not a CDN: they work offline.
    app = FastAPIOffline(title="newsbot", version="0.1.0", static_url=DOCS_ASSETS,
                         description="Answers questions about news articles; every claim cites a highlighted passage.")

    @app.exception_handler(NewsbotError)
    async def newsbot_error(request: Request, exc: NewsbotError) -> JSONResponse:
        """The one place the project's errors become HTTP responses (statuses in bot.errors)."""
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if isinstance(exc, RateLimited) else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.http_status, headers=headers)

    app.include_router(build_router(ctx))
    app.include_router(build_widget_router(origins))
    blocks = build_chat(ctx)
    _add_guards(app, settings, ctx, origins, host, blocks)
    app = gr.mount_gradio_app(app, blocks, path="/", auth=gradio_auth(settings), css=CSS, ssr_mode=False,
                              max_file_size=settings.max_upload_bytes, footer_links=["api"],
                              theme=gr.themes.Soft())
    # Gradio checks that a file handed to an event is one of its uploads only once the app is
    # "launched"; mounted into FastAPI it never is, and any server path would be read and copied
    # where /gradio_api/file= serves it. The app is served from here on: say so.
    blocks.has_launched = True
    gradio_app = next(r.app for r in app.routes if hasattr(getattr(r, "app", None), "cookie_id"))
    app.add_middleware(GradioSessionGuard, gradio_app=gradio_app, token=settings.api_token)
    return app


def bind_socket(host: str, port: int):
    """A socket listening on ``host:port``; a :class:`NewsbotError` saying why when it cannot be
    (a busy port, a privileged one, an address not of this machine)."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError as err:
        sock.close()
        why = ("the port is already in use (another newsbot serve?): stop that server or pass another --port"
               if err.errno == errno.EADDRINUSE else err.strerror or str(err))
        raise NewsbotError(f"cannot listen on {host}:{port}: {why}") from None
    return sock


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, runtime: Runtime | None = None) -> None:
    """Serve until Ctrl-C. The port is taken first (a busy one fails before the models load), and
    the banner is printed only once it is listening."""
    import uvicorn

    sock = bind_socket(host, port)
    try:
        app = create_app(settings, runtime, host=host)
        if host in _ALL_INTERFACES and not settings.trusted_hosts:
            print("newsbot: listening on every interface, but only loopback Host names are answered: "
                  "list the server's public names in NEWSBOT_TRUSTED_HOSTS", flush=True)
        port = sock.getsockname()[1]
        print(f"newsbot: chat at http://{host}:{port}/  API docs at http://{host}:{port}/docs  "
              f"widget script at http://{host}:{port}/widget.js", flush=True)
        # X-Forwarded-* are honoured by the app itself, from NEWSBOT_TRUSTED_PROXIES only (not from
        # 127.0.0.1 as uvicorn would by default).
        uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False)).run(sockets=[sock])
    finally:
        sock.close()


class BackgroundServer:
    """The app served by uvicorn in a daemon thread on a free local port (tests, benchmarks)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import socket
        import threading

        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self.host, self.port = sock.getsockname()[:2]
        self._sock = sock
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2,
                                                   proxy_headers=False))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name=f"newsbot-server-{self.port}")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> "BackgroundServer":
        import time

        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)
        self._sock.close()

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
