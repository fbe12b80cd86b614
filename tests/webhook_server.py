"""A local HTTP server that plays a webhook receiver: it records every request and answers
from a script of replies (status, headers, delay); the last reply repeats.

A reply may also be hostile: `drip` sends the answer one byte every `drip` seconds and never
finishes it; `answer_bytes` sends a 2xx answer of that many bytes. What it managed to send
is counted in `sent_bytes`, and `live` counts the requests it is still answering."""

import itertools
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs

from tests.log_secrets import with_token
from tests.redis_server import Certificates

CHUNK = b"\0" * 65536

# The hosts a local receiver lives on: what a webhook channel under test allows.
ALLOWED = ("127.0.0.1",)


@attrs.frozen
class Reply:
    status: int = 200
    headers: dict[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    drip: float | None = None
    answer_bytes: int = 0


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
    scheme: str = "http"
    received: list[Received] = attrs.Factory(list)
    sent_bytes: int = 0
    live: int = 0
    _lock: threading.Lock = attrs.Factory(threading.Lock)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        """With a token in the query, as receivers often want: no log line may show it."""
        return with_token(f"{self.scheme}://{host}:{self.port}{path}")

    def count(self, sent: int = 0, live: int = 0) -> None:
        with self._lock:
            self.sent_bytes += sent
            self.live += live


@contextmanager
def webhook_server(
    *replies: Reply, host: str = "127.0.0.1", tls: Certificates | None = None
) -> Iterator[WebhookServer]:
    """`tls`: HTTPS with that server certificate (for 127.0.0.1 and localhost)."""
    state = WebhookServer(0, list(replies) or [Reply()], "http" if tls is None else "https")
    stopped = threading.Event()

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
            state.count(live=1)
            try:
                self.answer(reply)
            except OSError:
                pass  # the client went away: what it read is counted
            finally:
                state.count(live=-1)

        def answer(self, reply: Reply) -> None:
            time.sleep(reply.delay)
            if reply.drip is not None:
                # A status line, then a header that never ends.
                for byte in itertools.chain(b"HTTP/1.1 200 OK\r\nX-Drip: ", itertools.repeat(97)):
                    if stopped.wait(reply.drip):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    state.count(sent=1)
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(reply.answer_bytes))
            self.end_headers()
            left = reply.answer_bytes
            while left > 0 and not stopped.is_set():
                chunk = CHUNK[: min(left, len(CHUNK))]
                self.wfile.write(chunk)
                state.count(sent=len(chunk))
                left -= len(chunk)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    server = Server((host, 0), Handler)
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls.cert, tls.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stopped.set()
        server.shutdown()
        server.server_close()
        thread.join()
