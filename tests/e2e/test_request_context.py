"""Every line written while a request is served names it: the access line its client,
subject, and unmatched path; every other line (Ballast's and libraries', the delivery it hands
to the background included) its request id and the trace id of its `traceparent`, which the
webhook passes on. Request ids are random."""

import itertools
import logging
import time
from collections.abc import Iterator

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from entrypoints.log_format import LogfmtFormatter
from tests.logfmt import parse_logfmt
from tests.support.apps import app_with, bearer, login, running_app
from tests.webhook_server import WebhookServer, webhook_server

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


class Lines(logging.Handler):
    """Formats each record as it is emitted, in the context it is emitted in (as the
    serving process's stderr handler does)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.formatter = LogfmtFormatter()
        self.records: list[dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(parse_logfmt(self.format(record)))


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.fixture
def receiver() -> Iterator[WebhookServer]:
    with webhook_server() as server:
        yield server


@pytest.fixture
def client(receiver: WebhookServer) -> Iterator[TestClient]:
    with running_app(webhook_allowed_hosts=("127.0.0.1",)) as client:
        yield client


def flush(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 200  # writes the pending access lines


def access(lines: Lines) -> list[dict[str, str]]:
    return [r for r in lines.records if r["logger"] == "ballast.access"]


def test_the_access_line_names_the_client_the_subject_and_an_unmatched_path(
    client: TestClient, lines: Lines
) -> None:
    token = login(client)["access_token"]
    client.get("/api/auth/me", headers={**bearer(token), "X-Request-ID": "me-1"})
    client.get("/no/" + "x" * 500, headers={"X-Request-ID": "lost-1"})
    flush(client)

    by_id = {r["request_id"]: r for r in access(lines)}
    me, lost = by_id["me-1"], by_id["lost-1"]
    assert (me["client"], me["subject"], me["route"]) == ("testclient", "admin", "/api/auth/me")
    assert "path" not in me
    assert (lost["route"], lost["subject"]) == ("unmatched", "")
    assert lost["path"] == ("/no/" + "x" * 500)[:128]


def test_every_line_of_a_request_and_of_its_delivery_carries_its_id_and_trace(
    client: TestClient, lines: Lines, receiver: WebhookServer
) -> None:
    token = login(client)["access_token"]
    headers = {**bearer(token), "X-Request-ID": "send-1", "traceparent": TRACEPARENT}
    sent = client.post(
        "/api/notifications",
        headers=headers,
        json={
            "recipient": "admin",
            "channel": "webhook",
            "subject": "s",
            "body": "b",
            "target": receiver.url(),
        },
    )
    assert sent.status_code == 202, sent.text
    for _ in range(100):
        if receiver.received:
            break
        time.sleep(0.05)
    flush(client)

    [delivered] = receiver.received
    version, trace, parent, flags = delivered.headers["traceparent"].split("-")
    assert (version, trace, flags) == ("00", TRACE, "01")
    assert parent != "00f067aa0ba902b7" and len(parent) == 16  # our own span, in their trace
    # The webhook's own lines (httpx's request line, the delivery's) are written in the
    # background task that delivered it, after the request was answered.
    background = [r for r in lines.records if r["logger"] in ("httpx", "ballast.notifications")]
    assert any(r["logger"] == "httpx" for r in background)
    assert all((r.get("request_id"), r.get("trace_id")) == ("send-1", TRACE) for r in background)
    [line] = [r for r in access(lines) if r["request_id"] == "send-1"]
    assert line["trace_id"] == TRACE


def test_a_malformed_traceparent_is_ignored(client: TestClient, lines: Lines) -> None:
    for bad in ("00-" + "0" * 32 + "-00f067aa0ba902b7-01", "01-xyz", f"00-{TRACE}-{'0' * 16}-01"):
        client.get("/health/live", headers={"traceparent": bad})
    flush(client)

    assert not any("trace_id" in r for r in lines.records)


def test_request_ids_are_random(client: TestClient) -> None:
    ids = [client.get("/health/live").headers["x-request-id"] for _ in range(200)]

    assert len(set(ids)) == 200
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    numbers = [int(i, 16) for i in ids]
    steps = {b - a for a, b in itertools.pairwise(numbers)}
    assert len(steps) > 100  # no counter: consecutive ids are not a fixed step apart
    assert sum(b > a for a, b in itertools.pairwise(numbers)) < 150


async def crash(request: Request) -> Response:
    raise RuntimeError("internal detail")


def test_an_unexpected_error_is_logged_with_its_request_id(lines: Lines) -> None:
    with TestClient(app_with({"/crash": crash}), raise_server_exceptions=False) as client:
        crashed = client.get("/crash", headers={"X-Request-ID": "crash-1"})

    assert crashed.status_code == 500
    [line] = [r for r in lines.records if r.get("event") == "unhandled_error"]
    assert (line["request_id"], line["path"], line["level"]) == ("crash-1", "/crash", "ERROR")
