"""Every feed format against local HTTP servers: ECB history, the JSON shape, detected or
chosen, several feeds merged; garbage, slow and huge JSON refused."""

import datetime
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.rates_feed import RatesFeed, RatesFormat, feed_name
from domain.errors import RatesUnavailableError
from tests.fakes import FakeClock
from tests.feed_server import FeedServer, dead_url, ecb_document, feed_server, json_document

pytestmark = pytest.mark.anyio
FRIDAY, MONDAY = "2026-11-27", "2026-11-30"


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server


@pytest.fixture
def second() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server


def reader(*urls: str, **options: object) -> RatesFeed:
    return RatesFeed(urls, FakeClock(), **options)  # type: ignore[arg-type]


def serve_json(server: FeedServer, body: bytes, content_type: str = "application/json") -> None:
    server.body, server.content_type = body, content_type


async def test_a_history_document_gives_every_day(feed: FeedServer) -> None:
    feed.body = ecb_document({FRIDAY: {"USD": "1.05"}, MONDAY: {"USD": "1.06"}})

    publication = await reader(feed.url).fetch()

    assert [d.as_of.isoformat() for d in publication.days] == [FRIDAY, MONDAY]
    assert publication.latest.rates == {"USD": Decimal("1.06")}


async def test_json_numbers_are_read_as_decimals_never_floats(feed: FeedServer) -> None:
    # 0.1 + 0.2 style digits a float would change
    serve_json(feed, json_document("USD", MONDAY, {"EUR": "0.92345678901234567", "KWD": "0.3075"}))

    table = (await reader(feed.url).fetch()).latest

    assert table.base == "USD"
    assert table.as_of == datetime.date(2026, 11, 30)
    assert table.rates == {"EUR": Decimal("0.92345678901234567"), "KWD": Decimal("0.3075")}


async def test_a_unix_timestamp_dates_the_table(feed: FeedServer) -> None:
    serve_json(feed, b'{"base": "USD", "timestamp": 1764460800, "rates": {"AED": 3.6725}}')

    table = (await reader(feed.url).fetch()).latest

    assert table.as_of == datetime.date(2025, 11, 30)
    assert table.rates == {"AED": Decimal("3.6725")}


async def test_a_json_time_series_gives_every_day(feed: FeedServer) -> None:
    series = {"base": "EUR", "rates": {MONDAY: {"USD": 1.06}, FRIDAY: {"USD": 1.05}}}
    serve_json(feed, json.dumps(series).encode())

    publication = await reader(feed.url).fetch()

    assert [d.rates["USD"] for d in publication.days] == [Decimal("1.05"), Decimal("1.06")]


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", ""])
async def test_the_format_is_detected_from_the_body_when_the_type_says_nothing(
    feed: FeedServer, content_type: str
) -> None:
    serve_json(feed, json_document("EUR", MONDAY, {"USD": "1.06"}), content_type)
    assert (await reader(feed.url).fetch()).latest.rates == {"USD": Decimal("1.06")}

    feed.body = ecb_document()
    assert "JPY" in (await reader(feed.url).fetch()).latest.rates


async def test_a_chosen_format_is_not_second_guessed(feed: FeedServer) -> None:
    serve_json(feed, json_document("EUR", MONDAY, {"USD": "1.06"}), "application/xml")

    table = (await reader(feed.url, format=RatesFormat.JSON).fetch()).latest
    assert table.rates == {"USD": Decimal("1.06")}
    with pytest.raises(RatesUnavailableError, match="XML"):
        await reader(feed.url, format=RatesFormat.ECB).fetch()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"base": "USD"}',
        b'{"base": "XYZ", "date": "2026-11-30", "rates": {"EUR": 1}}',
        b'{"base": "USD", "date": "30/11/2026", "rates": {"EUR": 1}}',
        b'{"base": "USD", "rates": {"EUR": 1}}',
        b'{"base": "USD", "date": "2026-11-30", "rates": {"EUR": -1}}',
        b'{"base": "USD", "date": "2026-11-30", "rates": {"EUR": 0}}',
        b'{"base": "USD", "date": "2026-11-30", "rates": {"EUR": "0.9"}}',
        b'{"base": "USD", "date": "2026-11-30", "rates": {"EUR": NaN}}',
        b'{"base": "USD", "date": "2026-11-30", "rates": {"EUR": 1e999999}}',
        b'{"base": "USD", "date": "2026-11-30", "rates": {"BTC": 0.00001}}',
        b'{"base": "USD", "date": "2026-11-30", "rates": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
)
async def test_garbage_json_is_refused(feed: FeedServer, body: bytes) -> None:
    serve_json(feed, body)
    with pytest.raises(RatesUnavailableError):
        await reader(feed.url).fetch()


async def test_huge_and_slow_json_feeds_are_refused(feed: FeedServer) -> None:
    serve_json(feed, json_document("EUR", MONDAY, {"USD": "1.06"}) + b" " * (2 << 20))
    with pytest.raises(RatesUnavailableError, match="too large"):
        await reader(feed.url, max_bytes=1 << 20).fetch()
    feed.hang = True
    with pytest.raises(RatesUnavailableError, match="no answer"):
        await reader(feed.url, deadline=0.3).fetch()


async def test_feeds_are_merged_in_order_and_named(feed: FeedServer, second: FeedServer) -> None:
    feed.body = ecb_document({MONDAY: {"USD": "1.05", "JPY": "160"}})
    serve_json(second, json_document("USD", MONDAY, {"EUR": "0.5", "KWD": "0.3075"}))

    table = (await reader(feed.url, second.url).fetch()).latest

    assert table.base == "EUR"
    assert table.rates["USD"] == Decimal("1.05")  # the first feed's
    assert table.rates["KWD"] == Decimal("0.322875")  # 1.05 * 0.3075, through USD
    assert table.feeds == (feed.public_url, second.public_url)  # no query: keys stay private


async def test_one_feed_down_leaves_the_others(feed: FeedServer) -> None:
    table = (await reader(dead_url(), feed.url).fetch()).latest

    assert "JPY" in table.rates
    assert table.feeds == (feed.public_url,)


async def test_all_feeds_down_is_refused_with_every_reason() -> None:
    with pytest.raises(RatesUnavailableError) as raised:
        await reader(dead_url(), dead_url()).fetch()
    assert raised.value.reason.count("127.0.0.1") == 2


def test_a_feed_is_named_without_credentials_or_query() -> None:
    assert feed_name("https://user:pw@rates.example.com:8443/latest.json?app_id=k#x") == (
        "https://rates.example.com:8443/latest.json"
    )


@settings(max_examples=12, deadline=None)
@given(
    host=st.sampled_from(["127.0.0.1", "localhost"]),
    same_port=st.booleans(),
    relative=st.booleans(),
)
async def test_a_feed_follows_a_redirect_on_its_own_host_only(
    host: str, same_port: bool, relative: bool
) -> None:
    with feed_server() as first, feed_server() as second:
        port = first.port if same_port else second.port
        first.location = "/moved" if relative else f"http://{host}:{port}/moved"
        followed = relative or host == "127.0.0.1"
        if followed and not relative and not same_port:
            result = await reader(first.url).fetch()  # another port of the same host
            assert result.days and second.requests == 1
            return
        if followed:
            # The same server, asked again: it redirects once more, until the bound.
            with pytest.raises(RatesUnavailableError, match="more than 5 redirects"):
                await reader(first.url).fetch()
            assert first.requests == 6
            return
        with pytest.raises(RatesUnavailableError, match="redirect to another host refused"):
            await reader(first.url).fetch()
        assert first.requests == 1
        assert second.requests == 0
