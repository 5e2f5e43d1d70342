"""Request limits of the server: a per-client rate limit and a cap on request body size."""
from __future__ import annotations

import json
import threading
import time
from collections import deque


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
            if len(self._hits) > 10_000:  # forget idle clients so the table stays small
                for key in [k for k, v in self._hits.items() if not v]:
                    del self._hits[key]
            return 0.0


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
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    size = 0
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
