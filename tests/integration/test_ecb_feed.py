"""The ECB feed reader against a local HTTP server: real format, malformed, huge, hanging."""

import datetime
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.ecb_feed import parse_ecb_days
from adapters.rates_feed import RatesFeed
from domain.errors import RatesUnavailableError
from domain.rates import RateOrigin, RateTable
from tests.fakes import FakeClock
from tests.feed_server import DAY_RATES, FeedServer, dead_url, ecb_document, feed_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server


class Reader:
    """The latest day, as the ECB daily file gives it."""

    def __init__(self, feed: RatesFeed) -> None:
        self.feed = feed

    async def fetch(self) -> RateTable:
        return (await self.feed.fetch()).latest


def reader(url: str, **options: float) -> Reader:
    return Reader(RatesFeed((url,), FakeClock(), **options))  # type: ignore[arg-type]


async def test_a_daily_document_gives_every_rate_exactly(feed: FeedServer) -> None:
    table = await reader(feed.url).fetch()
    assert table.base == "EUR"
    assert table.as_of == datetime.date(2026, 11, 24)
    assert table.source is RateOrigin.LIVE
    assert table.rates == {code: Decimal(rate) for code, rate in DAY_RATES.items()}
    assert table.fetched_at == FakeClock().now()
    assert table.feeds == (feed.public_url,)


async def test_a_history_document_gives_its_latest_day(feed: FeedServer) -> None:
    feed.body = ecb_document(
        {
            "2026-11-20": {"USD": "1.0500"},
            "2026-11-24": {"USD": "1.0573"},
            "2026-11-21": {"USD": "1.0600"},
        }
    )
    table = await reader(feed.url).fetch()
    assert table.as_of == datetime.date(2026, 11, 24)
    assert table.rates == {"USD": Decimal("1.0573")}


@pytest.mark.parametrize(
    "body",
    [
        b"<gesmes:Envelope><Cube><Cube time='2026-11-24'>",
        b"not xml at all",
        b"<Envelope><Cube/></Envelope>",
        ecb_document({"2026-11-24": {"USD": "-1.0"}}),
        ecb_document({"2026-11-24": {"USD": "0"}}),
        ecb_document({"2026-11-24": {"USD": "1e3"}}),
        ecb_document({"2026-11-24": {"usd": "1.05"}}),
        ecb_document({"24/11/2026": {"USD": "1.05"}}),
        ecb_document({"2026-11-24": {}}),
    ],
)
async def test_a_malformed_document_is_refused(feed: FeedServer, body: bytes) -> None:
    feed.body = body
    with pytest.raises(RatesUnavailableError):
        await reader(feed.url).fetch()


async def test_entity_expansion_is_refused(feed: FeedServer) -> None:
    feed.body = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<Envelope><Cube><Cube time='2026-11-24'><Cube currency='USD' rate='1.0'/>"
        b"<x>&b;</x></Cube></Cube></Envelope>"
    )
    with pytest.raises(RatesUnavailableError, match="unreadable XML"):
        await reader(feed.url).fetch()


async def test_a_huge_declared_document_is_refused(feed: FeedServer) -> None:
    feed.body = ecb_document() + b" " * (2 << 20)
    with pytest.raises(RatesUnavailableError, match="too large"):
        await reader(feed.url, max_bytes=1 << 20).fetch()


async def test_a_huge_undeclared_document_is_cut_at_the_limit(feed: FeedServer) -> None:
    feed.body = ecb_document() + b" " * (2 << 20)
    feed.send_length = False
    with pytest.raises(RatesUnavailableError, match="over"):
        await reader(feed.url, max_bytes=1 << 20).fetch()


async def test_a_hanging_server_is_given_up_at_the_deadline(feed: FeedServer) -> None:
    feed.hang = True
    with pytest.raises(RatesUnavailableError, match="no answer"):
        await reader(feed.url, deadline=0.3).fetch()
    assert feed.requests == 1


async def test_an_error_status_is_refused(feed: FeedServer) -> None:
    feed.status = 503
    with pytest.raises(RatesUnavailableError, match="503"):
        await reader(feed.url).fetch()


async def test_a_feed_that_is_down_is_refused() -> None:
    with pytest.raises(RatesUnavailableError):
        await reader(dead_url()).fetch()


async def test_a_file_url_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "rates.xml"
    path.write_bytes(ecb_document())
    table = await reader(path.as_uri()).fetch()
    assert table.rates["JPY"] == Decimal("162.88")


def test_codes_that_are_no_longer_iso_4217_are_skipped() -> None:
    (table,) = parse_ecb_days(ecb_document({"2026-11-24": {"BGN": "1.9558", "USD": "1.05"}}), 0.0)
    assert table.rates == {"USD": Decimal("1.05")}
