"""Request limits of the server: a per-client rate limit and a cap on request body size."""
from __future__ import annotations

import hmac
import json
import threading
import time
from collections import deque

import anyio


class RateLimiter:
    """At most ``per_minute`` requests per client in any sliding 60-second window."""

    def __init__(self, per_minute: int, window: float = 60.0):
        self.per_minute = per_minute
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """0 and the request is counted, or the seconds to wait before the next one is allowed."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(0.1, hits[0] + self.window - now)
            hits.append(now)
            if len(self._hits) > self.max_clients:
                self._forget(now)
            return 0.0

    max_clients = 10_000  # clients remembered at most (the table's bound)

    def _forget(self, now: float) -> None:
        """Under the lock: forget the clients idle for a whole window, then, if there are still
        too many, those seen longest ago (a flood of addresses cannot grow the table)."""
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]
        if len(self._hits) > self.max_clients:
            by_age = sorted(self._hits, key=lambda k: self._hits[k][-1])
            for key in by_age[: len(self._hits) - self.max_clients]:
                del self._hits[key]


class BodySizeLimit:
    """ASGI middleware answering 413 to any request whose body exceeds ``max_bytes``.

    Checks Content-Length first and counts streamed (chunked) bodies as they arrive, so the
    Gradio upload route and the REST API share the one limit.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def _message(self, size: int | None) -> bytes:
        got = f"{size} bytes" if size is not None else f"more than {self.max_bytes} bytes"
        return json.dumps({"detail": f"request body too large ({got}; the limit is {self.max_bytes} bytes, "
                                     "set by NEWSBOT_MAX_UPLOAD_BYTES)"}).encode()

    async def _reject(self, send, size: int | None) -> None:
        body = self._message(size)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        size = declared_size(scope)
        if size > self.max_bytes:
            return await self._reject(send, size)
        seen = 0
        started = False
        rejected = False

        async def counting_receive():
            # Past the limit, answer 413 at once and tell the app the client left, so no handler
            # turns the cut-off body into a parsing error of its own.
            nonlocal seen, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    rejected = True
                    if not started:
                        await self._reject(send, None)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not rejected:
                raise


def declared_size(scope) -> int:
    """The request's Content-Length (0 when it has none or it is not a number)."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def send_json(send, status: int, detail: str, headers: tuple[tuple[bytes, bytes], ...] | list[tuple[bytes, bytes]] = ()) -> None:
    """A complete JSON error response ``{"detail": ...}`` sent straight from a middleware."""
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_problem(body: bytes) -> str:
    """Why ``body`` is not acceptable JSON ("" when it is): malformed, NaN or Infinity, a number
    too large for a float, or a string holding a lone surrogate (no character at all)."""
    import math

    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        return "request body is nested too deeply"
    except (ValueError, UnicodeDecodeError) as exc:
        return f"request body is not valid JSON ({exc})"
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return "request body holds a number out of range (larger than a float can hold)"
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                return (f"request body holds a string with an invalid character "
                        f"(lone surrogate U+{ord(value[exc.start]):04X})")
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return ""


class JsonBodyCheck:
    """ASGI middleware answering 422 to a JSON request body that parses to something no handler
    can serialise or encode (see :func:`json_problem`), instead of letting it reach a handler and
    fail there with a 500. ``extra(path, body)`` may add checks of its own (message or "").

    The cheap checks come first, before a byte of the body is read: a missing or wrong bearer
    token on the REST API (``token``) is a 401, a JSON body over ``max_bytes`` (by Content-Length,
    or counted as it arrives) a 413. Parsing runs in a worker thread, never in the event loop, so
    large bodies do not stall the other requests (``/api/health`` among them)."""

    def __init__(self, app, extra=None, max_bytes: int = 2_000_000, token: str = ""):
        self.app = app
        self.extra = extra
        self.max_bytes = max_bytes
        self.token = token.encode()

    def _early_problem(self, scope, headers: dict) -> tuple[int, str]:
        """(status, message) of a request refused before its body is read, or (0, "")."""
        if self.token and scope["path"].startswith("/api/"):
            scheme, _, given = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("latin-1"), self.token):
                return 401, "missing or wrong bearer token: send 'Authorization: Bearer <NEWSBOT_API_TOKEN>'"
        try:
            size = int(headers.get(b"content-length", b"0"))
        except ValueError:
            size = 0
        return (413, self._too_large(f"{size} bytes")) if size > self.max_bytes else (0, "")

    def _too_large(self, got: str) -> str:
        return f"JSON body too large ({got}; the limit is {self.max_bytes} bytes, set by NEWSBOT_MAX_JSON_BYTES)"

    async def _read(self, receive) -> bytes | int | None:
        """The whole body; 413 past ``max_bytes``; None when the client left."""
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                return 413
            if not message.get("more_body"):
                return b"".join(chunks)

    def _problem(self, path: str, body: bytes) -> str:
        problem = json_problem(body) if body.strip() else ""
        if not problem and self.extra is not None:
            problem = self.extra(path, body)
        return problem

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", []))
        if b"json" not in headers.get(b"content-type", b"").lower():
            return await self.app(scope, receive, send)
        status, problem = self._early_problem(scope, headers)
        if status:
            extra = [(b"www-authenticate", b"Bearer")] if status == 401 else []
            return await send_json(send, status, problem, extra)
        body = await self._read(receive)
        if body is None:
            return
        if isinstance(body, int):  # 413: past max_bytes
            return await send_json(send, 413, self._too_large(f"more than {self.max_bytes} bytes"))
        problem = await anyio.to_thread.run_sync(self._problem, scope["path"], body)
        if problem:
            return await send_json(send, 422, problem)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class RouteRateLimit:
    """ASGI middleware applying a :class:`RateLimiter` to the requests ``applies(method, path)``
    selects (429 with Retry-After past the limit)."""

    def __init__(self, app, limiter: RateLimiter, applies, what: str):
        self.app = app
        self.limiter = limiter
        self.applies = applies
        self.what = what

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.applies(scope["method"], scope["path"]):
            client = (scope.get("client") or ("unknown",))[0]
            wait = self.limiter.retry_after(client)
            if wait:
                return await send_json(send, 429, f"too many {self.what}: at most {self.limiter.per_minute} per "
                                                  f"minute per client; retry in {wait:.0f} s",
                                       [(b"retry-after", str(max(1, round(wait))).encode())])
        await self.app(scope, receive, send)


class FramePolicy:
    """ASGI middleware giving every response that sets no Content-Security-Policy of its own a
    ``frame-ancestors`` policy, so that only this server and the allowed origins may frame a page."""

    def __init__(self, app, ancestors: str):
        self.app = app
        self.header = (b"content-security-policy", f"frame-ancestors {ancestors}".encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def framed_send(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    message = dict(message, headers=headers + [self.header])
            await send(message)

        await self.app(scope, receive, framed_send)


class SecurityHeaders:
    """ASGI middleware: every response gets ``X-Content-Type-Options: nosniff``, and a login cookie
    Gradio sets with ``SameSite=None`` gets ``SameSite=Lax`` (the chat is used on this site; the
    widget that other sites embed sends a bearer token, never this cookie)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def secured_send(message):
            if message["type"] == "http.response.start":
                headers = [(k, _lax(v) if k.lower() == b"set-cookie" else v) for k, v in message.get("headers", [])]
                if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, secured_send)


def _lax(cookie: bytes) -> bytes:
    import re

    return re.sub(rb"(?i)samesite=none", b"SameSite=Lax", cookie)


FORWARDED_HEADERS = (b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-port",
                     b"x-forwarded-prefix", b"forwarded", b"x-real-ip")


class ForwardedHeaders:
    """ASGI middleware honouring ``X-Forwarded-*`` only from the configured proxies
    (NEWSBOT_TRUSTED_PROXIES, comma-separated addresses; none by default): from a trusted proxy
    the client address and scheme are taken from them (uvicorn's ProxyHeadersMiddleware); from
    anyone else they are removed, so that no client picks the address the rate limit and the
    login throttle count, nor the host Gradio writes into its links (``root`` in /config)."""

    def __init__(self, app, trusted: str = ""):
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        self.trusted = {h.strip() for h in trusted.split(",") if h.strip()}
        self.app = app
        self.proxied = ProxyHeadersMiddleware(app, trusted_hosts=sorted(self.trusted)) if self.trusted else app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        peer = (scope.get("client") or ("",))[0]
        if peer in self.trusted or "*" in self.trusted:
            return await self.proxied(scope, receive, send)
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in FORWARDED_HEADERS]
        await self.app(dict(scope, headers=headers), receive, send)


class GradioSessionGuard:
    """ASGI middleware: with a login configured, Gradio's heartbeat, cancel and reset routes (which
    Gradio leaves open) answer only a signed-in session (its login cookie) or the API token."""

    ROUTES = ("/gradio_api/heartbeat/", "/gradio_api/cancel", "/gradio_api/reset")

    def __init__(self, app, gradio_app, token: str = ""):
        self.app = app
        self.gradio = gradio_app
        self.token = token.encode()

    def _signed_in(self, headers: dict) -> bool:
        from http.cookies import SimpleCookie

        scheme, _, given = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if self.token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("latin-1"),
                                                                             self.token):
            return True
        jar = SimpleCookie()
        try:
            jar.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # a malformed Cookie header signs nobody in
            return False
        cid = self.gradio.cookie_id
        for name in (f"access-token-{cid}", f"access-token-unsecure-{cid}"):
            if name in jar and jar[name].value in self.gradio.tokens:
                return True
        return False

    async def __call__(self, scope, receive, send):
        if (scope["type"] == "http" and self.gradio.auth is not None
                and scope["path"].startswith(self.ROUTES) and not self._signed_in(dict(scope.get("headers", [])))):
            return await send_json(send, 401, "sign in first: this Gradio route needs the chat's login")
        await self.app(scope, receive, send)
