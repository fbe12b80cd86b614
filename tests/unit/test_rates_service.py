"""Freshness: fresh from the feed, stale while refreshing, last good table on feed failure,
the shared cache before the feed, the built-in table only when nothing else exists."""

import asyncio
import logging
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.fallback_rates import fallback_table
from adapters.memory.rates import MemoryRateCache
from adapters.rates_feed import NoRateFeed
from application.currency.convert import ConvertMoney, GetRates
from application.currency.rates_service import RatesService
from domain.errors import ValidationError
from domain.money import decimal_text
from domain.rates import RateOrigin
from tests.currency_fakes import FEED_DAY, FEED_RATES, FakeRateFeed, table
from tests.fakes import FakeClock

pytestmark = pytest.mark.anyio
TTL = 3600


def service(
    feed: FakeRateFeed, clock: FakeClock, cache: MemoryRateCache | None = None
) -> RatesService:
    return RatesService(
        feed, cache or MemoryRateCache(clock), clock, fallback_table(), ttl=TTL, retry_interval=30
    )


async def settle(rates: RatesService) -> None:
    task = rates.refreshing
    if task is not None:
        await task


async def test_start_adopts_the_live_table() -> None:
    clock, feed = FakeClock(), FakeRateFeed()
    rates = service(feed, clock)
    await rates.start(wait=5)
    snapshot = rates.snapshot()
    assert snapshot.table.source is RateOrigin.LIVE
    assert snapshot.table.fetched_at == clock.now()
    assert snapshot.stale is False


async def test_nothing_fetched_yet_serves_the_built_in_table_as_stale() -> None:
    clock, feed = FakeClock(), FakeRateFeed()
    feed.down = True
    rates = service(feed, clock)
    await rates.start(wait=5)
    snapshot = rates.snapshot()
    assert snapshot.table.source is RateOrigin.FALLBACK
    assert snapshot.stale is True
    assert snapshot.table == fallback_table()


async def test_a_stale_table_is_served_marked_stale_while_one_refresh_runs() -> None:
    clock, feed = FakeClock(), FakeRateFeed()
    rates = service(feed, clock)
    await rates.start(wait=5)
    clock.advance(TTL + 1)
    feed.gate = asyncio.Event()
    snapshots = [rates.snapshot() for _ in range(50)]
    await asyncio.sleep(0)  # let the refresh reach the feed
    assert all(s.stale and s.table.source is RateOrigin.LIVE for s in snapshots)
    assert feed.calls == 2  # the start, then one refresh for fifty stale requests
    feed.gate.set()
    await settle(rates)
    fresh = rates.snapshot()
    assert fresh.stale is False
    assert fresh.table.fetched_at == clock.now()


async def test_a_failed_feed_keeps_the_last_good_table_and_waits_before_retrying() -> None:
    clock, feed = FakeClock(), FakeRateFeed()
    rates = service(feed, clock)
    await rates.start(wait=5)
    good = rates.snapshot().table
    clock.advance(TTL + 1)
    feed.down = True
    rates.snapshot()
    await settle(rates)
    after = rates.snapshot()
    assert after.table == good
    assert after.stale is True
    assert rates.refreshing is None  # no new attempt before the retry interval
    assert feed.calls == 2
    clock.advance(31)
    rates.snapshot()
    await settle(rates)
    assert feed.calls == 3


async def test_a_fresher_table_in_the_shared_cache_is_used_before_the_feed() -> None:
    clock = FakeClock()
    cache = MemoryRateCache(clock)
    first = service(FakeRateFeed(), clock, cache)
    await first.start(wait=5)
    down = FakeRateFeed()
    down.down = True
    second = service(down, clock, cache)
    await second.start(wait=5)
    snapshot = second.snapshot()
    assert snapshot.table.source is RateOrigin.CACHE
    assert snapshot.stale is False
    assert snapshot.table.rates == first.snapshot().table.rates
    assert down.calls == 0


async def test_a_stale_cached_table_beats_the_built_in_one() -> None:
    clock = FakeClock()
    cache = MemoryRateCache(clock)
    await cache.put(table(fetched_at=clock.now() - TTL * 2), ttl=86_400)
    feed = FakeRateFeed()
    feed.down = True
    rates = service(feed, clock, cache)
    await rates.start(wait=5)
    snapshot = rates.snapshot()
    assert snapshot.table.source is RateOrigin.CACHE
    assert snapshot.stale is True


async def test_a_fetched_table_is_shared_through_the_cache() -> None:
    clock, feed = FakeClock(), FakeRateFeed()
    cache = MemoryRateCache(clock)
    await service(feed, clock, cache).start(wait=5)
    cached = await cache.get()
    assert cached is not None
    assert cached.fetched_at == clock.now()


async def test_rates_default_to_the_euro_base_and_include_it() -> None:
    clock, feed = FakeClock(), FakeRateFeed()
    rates = service(feed, clock)
    await rates.start(wait=5)
    view = await GetRates(rates)(None)
    assert view.base.code == "EUR"
    assert view.rates["EUR"] == Decimal(1)
    assert view.rates["USD"] == Decimal("1.0573")
    assert (await GetRates(rates)("usd")).base.code == "USD"


async def test_convert_reports_every_bad_field_at_once() -> None:
    rates = service(FakeRateFeed(), FakeClock())
    await rates.start(wait=5)
    with pytest.raises(ValidationError) as caught:
        await ConvertMoney(rates)("-3", "ZZZ", "AFN")
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("amount", "must not be negative"),
        ("from", "unknown currency code ZZZ"),
        ("to", "no exchange rate for AFN"),
    ]


async def test_an_unknown_base_is_refused() -> None:
    rates = service(FakeRateFeed(), FakeClock())
    with pytest.raises(ValidationError) as caught:
        await GetRates(rates)("nope")
    assert caught.value.errors[0].field == "base"
    await rates.stop()


async def test_convert_uses_the_rate_that_rates_shows_for_the_pair() -> None:
    rates = service(FakeRateFeed(), FakeClock())
    await rates.start(wait=5)
    shown = (await GetRates(rates)("GBP")).rates["JPY"]
    view = await ConvertMoney(rates)("10.50", "gbp", "jpy")
    assert view.conversion.rate == shown
    assert view.source is RateOrigin.LIVE
    assert view.stale is False


# No deadline: the first example loads the built-in history (a timing, not a behaviour).
@settings(deadline=None)
@given(
    amount=st.from_regex(r"\A[0-9]{1,15}(\.[0-9]{1,18})?\Z"),
    pair=st.tuples(
        st.sampled_from(sorted(table().codes())), st.sampled_from(["JPY", "KWD", "USD"])
    ),
)
def test_converting_text_amounts_gives_decimal_results_with_the_target_decimals(
    amount: str, pair: tuple[str, str]
) -> None:
    async def run() -> None:
        rates = service(FakeRateFeed(), FakeClock())
        await rates.start(wait=5)
        view = await ConvertMoney(rates)(amount, *pair)
        result = view.conversion.result
        assert isinstance(result.amount, Decimal)
        assert not isinstance(result.amount, float)
        decimals = len(decimal_text(result.amount).partition(".")[2])
        assert decimals == result.currency.minor_units

    asyncio.run(run())


async def test_no_configured_feed_is_said_once_at_info_never_as_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    rates = RatesService(
        NoRateFeed(), MemoryRateCache(clock), clock, fallback_table(), ttl=TTL, retry_interval=30
    )
    caplog.set_level(logging.DEBUG, logger="ballast.currency")
    await rates.start(wait=5)
    for _ in range(3):
        clock.advance(31)
        rates.snapshot()
        await settle(rates)

    said = [r for r in caplog.records if "rates_feed" in r.getMessage()]
    assert [r.levelno for r in said if r.levelno >= logging.INFO] == [logging.INFO]
    assert said[0].getMessage() == "event=rates_feed_not_configured table=fallback"
    assert rates.snapshot().table.source is RateOrigin.FALLBACK


async def test_a_conversion_is_current_until_its_table_changes_or_goes_stale() -> None:
    clock, feed = FakeClock(), FakeRateFeed(table(fetched_at=1_800_000_000.0))
    rates = service(feed, clock)
    await rates.start(wait=5)
    convert = ConvertMoney(rates)

    first = await convert("10", "EUR", "USD")
    assert convert.is_current(first)  # what a caller kept of it still answers
    assert (await convert("10", "EUR", "JPY")).conversion.result.amount == Decimal(1629)

    clock.advance(TTL + 1)  # stale now: the same question gets an answer that says so
    assert not convert.is_current(first)
    stale = await convert("10", "EUR", "USD")
    assert stale.stale is True and convert.is_current(stale)

    feed.answer = table({**FEED_RATES, "USD": "2"}, fetched_at=clock.now())
    await settle(rates)  # the stale read started a refresh: the new table replaces the old
    assert not convert.is_current(stale)
    fresh = await convert("10", "EUR", "USD")
    assert fresh.conversion.result.amount == Decimal(20)
    assert fresh.stale is False and convert.is_current(fresh)


async def test_a_conversion_at_a_date_is_not_the_current_tables() -> None:
    rates = service(FakeRateFeed(), FakeClock())
    await rates.start(wait=5)
    convert = ConvertMoney(rates)

    today = await convert("10", "EUR", "USD")
    dated = await convert("10", "EUR", "USD", FEED_DAY.isoformat())

    assert dated.table is not today.table
    assert dated.stale is False
