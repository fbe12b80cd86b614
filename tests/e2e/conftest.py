"""Every log record written during an e2e test, whichever library writes it, must make a valid
line in both formats, and none may show a secret of the test servers' URLs (their feeds carry
credentials and an API key, their webhooks a token: tests/log_secrets.py). And the rates feed
fixture."""

import logging
from collections.abc import Iterator

import pytest

from entrypoints.log_format import JsonFormatter, LogfmtFormatter
from tests.feed_server import FeedServer, feed_server
from tests.log_secrets import leaked
from tests.logfmt import parse_json, parse_logfmt


class EveryLineParses(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.logfmt, self.json = LogfmtFormatter(), JsonFormatter()
        self.seen = 0
        self.bad: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen += 1
        for formatter, parse in ((self.logfmt, parse_logfmt), (self.json, parse_json)):
            line = formatter.format(record)
            if leaked(line):
                self.bad.append(f"a secret in: {line!r}")
            try:
                if "\n" in line:
                    raise ValueError(f"a line break inside: {line!r}")
                parse(line)
            except ValueError as e:
                self.bad.append(str(e))


@pytest.fixture(autouse=True)
def every_log_line_parses() -> Iterator[None]:
    handler = EveryLineParses()
    root = logging.getLogger()
    ballast = logging.getLogger("ballast")
    levels = root.level, ballast.level
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, logging.INFO))
    ballast.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        ballast.setLevel(levels[1])
    assert handler.bad == []


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server
