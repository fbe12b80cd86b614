"""Calling the app as the server calls it: one ASGI call per request, on the app's own event
loop. For floods of thousands of requests, where a test client's work per request (a portal
round trip, httpx's own) would cost several times the app's."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from starlette.testclient import TestClient
from starlette.types import Message, Scope


def http_scope(
    method: str, path: str, headers: Iterable[tuple[str, str]], client: tuple[str, int]
) -> Scope:
    """The scope uvicorn gives the app for a request from `client` (no query)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": client,
        "server": ("testserver", 80),
        "state": {},
    }


@attrs.frozen
class Call:
    """One request: its header names any case, a Host header only when it names one."""

    method: str
    path: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""


@attrs.frozen
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names, the first value of each
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def answers(client: TestClient, calls: Iterable[Call], peer: tuple[str, int]) -> list[Answer]:
    """The app's answer to each of `calls` from the socket peer `peer`, sent in turn."""

    async def one(call: Call) -> Answer:
        headers = {"host": "testserver", "content-length": str(len(call.body))}
        headers.update((k.lower(), v) for k, v in call.headers.items())
        sent: list[Message] = []
        read = False

        async def receive() -> Message:
            nonlocal read
            if read:  # the answer is all the client waits for: it leaves after
                return {"type": "http.disconnect"}
            read = True
            return {"type": "http.request", "body": call.body, "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        await client.app(http_scope(call.method, call.path, headers.items(), peer), receive, send)
        start, *parts = sent
        named = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(start["headers"])}
        return Answer(start["status"], named, b"".join(p.get("body", b"") for p in parts))

    async def run() -> list[Answer]:
        return [await one(call) for call in calls]

    return client.portal.call(run)
