"""A protocol stub, not a model: a tiny real HTTP server on 127.0.0.1 that speaks the OpenAI
chat-completions protocol (JSON and SSE streaming) and replies with scripted text.

Tests script the reply (a function of the request's messages), a delay before answering (to
provoke client timeouts) or an HTTP error status, and read back the requests it received.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class OpenAIStub:
    def __init__(self, reply: Callable[[list[dict]], str] | str = "", delay: float = 0.0, status: int = 200):
        self.reply = reply
        self.delay = delay
        self.status = status
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                stub.requests.append({"path": self.path, "body": body})
                if stub.delay:
                    time.sleep(stub.delay)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    return self._json(404, {"error": {"message": f"no route {self.path}"}})
                if stub.status != 200:
                    return self._json(stub.status, {"error": {"message": "stub failure", "type": "server_error"}})
                text = stub.reply(body.get("messages", [])) if callable(stub.reply) else stub.reply
                if body.get("stream"):
                    return self._stream(body, text)
                self._json(200, {
                    "id": "stub-1", "object": "chat.completion", "created": int(time.time()), "model": body.get("model", "stub"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                })

            def _json(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict, text: str):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                base = {"id": "stub-1", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": body.get("model", "stub")}
                pieces = [text[i : i + 7] for i in range(0, len(text), 7)]
                first = dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
                self.wfile.write(f"data: {json.dumps(first)}\n\n".encode())
                for piece in pieces:
                    chunk = dict(base, choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                last = dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])
                self.wfile.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> "OpenAIStub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
