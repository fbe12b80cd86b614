"""The access log: lines in the shared logging format, written by a background thread that
the request path never waits for; nothing lost at stop; BALLAST_ACCESS_LOG=off."""

import io
import logging
import re
import threading
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from entrypoints.access_log import AccessLog, Entry
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.cli import logging_config
from entrypoints.log_format import LogfmtFormatter
from entrypoints.settings import Settings
from tests.support.metrics import scraped

pytestmark = pytest.mark.anyio


class GatedStream(io.StringIO):
    """A stderr that blocks every write until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = threading.Event()
        self.gate = threading.Event()

    def write(self, text: str) -> int:
        self.writing.set()
        self.gate.wait()
        return super().write(text)


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("ballast.access.test")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger
    logger.handlers.clear()


def shared_handler(stream: io.StringIO) -> logging.Handler:
    """A handler with the formatter of the shared logging configuration."""
    handler = logging.StreamHandler(stream)
    shared = logging_config()["formatters"]["line"]["()"]  # type: ignore[index]
    assert shared == f"{LogfmtFormatter.__module__}.{LogfmtFormatter.__name__}"
    handler.setFormatter(LogfmtFormatter())
    return handler


async def test_lines_use_the_shared_format_and_none_is_lost_at_stop(
    logger: logging.Logger,
) -> None:
    stream = io.StringIO()
    logger.addHandler(shared_handler(stream))
    access = AccessLog(logger, every=3600)  # only the stop writes
    await access.start()
    access.add("GET", "/api/auth/me", 200, 0.00125, "rid-1", "10.0.0.7", "alice")
    access.add("POST", "/api/auth/login", 429, 0.5, "rid-2", "10.0.0.8")
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    access.add("BREW", "unmatched", 404, 0.001, "rid-3", "::1", "", "/no/such", trace)
    assert stream.getvalue() == ""
    await access.stop()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert re.fullmatch(
        r"ts=\S+Z level=INFO logger=ballast.access.test event=request method=GET "
        r"route=/api/auth/me status=200 duration_ms=1.25 request_id=rid-1 client=10.0.0.7 "
        r"subject=alice",
        lines[0],
    )
    assert "method=POST route=/api/auth/login status=429 duration_ms=500.00" in lines[1]
    assert 'client=10.0.0.8 subject=""' in lines[1]
    assert lines[2].endswith(
        f"method=OTHER route=unmatched status=404 duration_ms=1.00 request_id=rid-3 client=::1 "
        f'subject="" path=/no/such trace_id={trace}'
    )


async def test_the_request_path_never_waits_for_a_blocked_stderr(logger: logging.Logger) -> None:
    stream = GatedStream()
    logger.addHandler(logging.StreamHandler(stream))
    access = AccessLog(logger, every=0.01)
    await access.start()
    access.add("GET", "/a", 200, 0.001, "first")
    assert stream.writing.wait(10)  # the writer is now stuck inside write()
    for i in range(1000):
        access.add("GET", "/a", 200, 0.001, f"r{i}")
    # Every add returned while stderr was blocked: they only queued their lines.
    assert not stream.gate.is_set()
    stream.gate.set()
    await access.stop()
    assert len(stream.getvalue().splitlines()) == 1001


async def test_a_full_queue_drops_and_says_how_many(logger: logging.Logger) -> None:
    stream = io.StringIO()
    logger.addHandler(logging.StreamHandler(stream))
    access = AccessLog(logger, max_pending=2)
    for i in range(5):
        access.add("GET", "/a", 200, 0.001, f"r{i}")
    access.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert "request_id=r0" in lines[0] and "request_id=r1" in lines[1]
    assert lines[2] == "event=access_log_dropped lines=3"


def test_access_log_off_writes_no_line_and_still_counts_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings.from_env({"BALLAST_ACCESS_LOG": "off", "BALLAST_ADMIN_PASSWORD": "x" * 12})
    assert settings.access_log is False
    assert Settings.from_env({"BALLAST_ADMIN_PASSWORD": "x" * 12}).access_log is True
    caplog.set_level(logging.INFO, logger="ballast.access")
    labels = 'ballast_http_requests_total{method="GET",route="/api/auth/events",status="401"}'
    with TestClient(create_app(bootstrap(settings))) as client:
        before = scraped(client, labels)
        assert client.get("/api/auth/events").status_code == 401
        after = scraped(client, labels)
    assert not [r for r in caplog.records if r.name == "ballast.access"]
    assert after == before + 1


async def test_each_batch_is_handed_to_the_observer_once_lines_or_not(
    logger: logging.Logger,
) -> None:
    batches: list[list[Entry]] = []
    access = AccessLog(logger, every=3600, lines=False, observe=batches.append)
    access.add("GET", "/a", 200, 0.002, "r1")
    access.add("POST", "/b", 201, 0.004, "r2")
    access.flush()
    access.flush()  # nothing new: no empty batch
    assert [[entry[1:6] for entry in batch] for batch in batches] == [
        [("GET", "/a", 200, 2.0, "r1"), ("POST", "/b", 201, 4.0, "r2")]
    ]
