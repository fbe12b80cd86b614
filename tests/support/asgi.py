"""Calling the app as the server calls it: one ASGI call per request, no socket, no HTTP
parsing, no test client. For floods of thousands of requests in tests, where a test client's
work per request (a portal round trip, httpx's own) would cost several times the app's, and
for the benches that measure a request's cost in process."""

import asyncio
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Message, Scope

Headers = Iterable[tuple[bytes, bytes]]
PEER = ("127.0.0.1", 50000)


def http_scope(method: str, target: str, headers: Headers, client: tuple[str, int] = PEER) -> Scope:
    """The scope a server gives the app for `target` (a path and its query), from `client`;
    `headers` as the server hands them on (lower-case names), a Host header added if none."""
    path, _, query = target.partition("?")
    listed = list(headers)
    if not any(name == b"host" for name, _ in listed):
        listed.insert(0, (b"host", b"testserver"))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": listed,
        "client": client,
        "server": ("testserver", 80),
    }


@attrs.frozen
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names, the first value of each
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    app: ASGIApp,
    method: str,
    target: str,
    headers: Headers = (),
    body: bytes = b"",
    client: tuple[str, int] = PEER,
) -> Answer:
    """One request through the whole app, on the running event loop."""
    messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # no disconnect while the answer is written
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(http_scope(method, target, headers, client), receive, send)
    start, *parts = sent
    named = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(start["headers"])}
    return Answer(start["status"], named, b"".join(p.get("body", b"") for p in parts))


@attrs.frozen
class Call:
    """One request of a flood: header names in any case."""

    method: str
    target: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""

    def header_list(self) -> list[tuple[bytes, bytes]]:
        listed = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()
        ]
        return [*listed, (b"content-length", b"%d" % len(self.body))]


def answers(client: TestClient, calls: Iterable[Call], peer: tuple[str, int]) -> list[Answer]:
    """The app's answer to each of `calls` from the socket peer `peer`, sent in turn on the
    test client's event loop (where the app started)."""

    async def run() -> list[Answer]:
        return [
            await call(client.app, c.method, c.target, c.header_list(), c.body, peer) for c in calls
        ]

    return client.portal.call(run)
