"""A local HTTP server that plays a webhook receiver: it records every request and answers
from a script of replies (status, headers, delay); the last reply repeats."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs

from tests.log_secrets import with_token


@attrs.frozen
class Reply:
    status: int = 200
    headers: dict[str, str] = attrs.field(factory=dict)
    delay: float = 0.0


@attrs.frozen
class Received:
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes = b""


@attrs.define
class WebhookServer:
    port: int
    replies: list[Reply]
    received: list[Received] = attrs.Factory(list)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        """With a token in the query, as receivers often want: no log line may show it."""
        return with_token(f"http://{host}:{self.port}{path}")


@contextmanager
def webhook_server(*replies: Reply) -> Iterator[WebhookServer]:
    state = WebhookServer(0, list(replies) or [Reply()])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            state.received.append(
                Received(
                    self.path.partition("?")[0],
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw),
                    raw,
                )
            )
            reply = state.replies.pop(0) if len(state.replies) > 1 else state.replies[0]
            time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
