"""The currency part of the composition root: the feed (or none), the rate cache (memory, or
Redis behind the failover, which never fails closed) and the rates service's lifecycle."""

from collections.abc import Callable
from typing import Any

from adapters.ecb_feed import EcbRateFeed, NoRateFeed
from adapters.failover.core import Failover
from adapters.failover.link import RedisLink
from adapters.failover.rates import FailoverRateCache
from adapters.fallback_rates import fallback_table
from adapters.memory.rates import MemoryRateCache
from adapters.redis.rates import RedisRateCache
from application.currency.convert import ConvertMoney, GetRates
from application.currency.rates_service import RatesService
from domain.ports import Clock, RateCache, RateSource
from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import Settings

Bind = Callable[[type, Any], Any]
# Start-up waits this long at most for the first table; past it the refresh goes on behind.
START_WAIT = 3.0
# The shared cache keeps a table this long: an instance starting while the feed is down
# serves it (marked stale) rather than the built-in table.
CACHE_KEEP_FOR = 7 * 86_400


def bind_currency(
    bind: Bind, settings: Settings, clock: Clock, lifecycle: Lifecycle, link: RedisLink | None
) -> RatesService:
    source: RateSource = bind(
        RateSource,
        EcbRateFeed(settings.rates_url, clock) if settings.rates_url else NoRateFeed(),
    )
    cache: RateCache
    if link is None:
        cache = MemoryRateCache(clock)
    else:
        failover = Failover(link, "rates")  # disposable: never fails closed, never replayed
        shared = FailoverRateCache(RedisRateCache(link.client), MemoryRateCache(clock), failover)
        link.on_recovery("rates", shared.restore)
        cache = shared
    cache = bind(RateCache, cache)
    service: RatesService = bind(
        RatesService,
        RatesService(
            source, cache, clock, fallback_table(), settings.rates_ttl, keep_for=CACHE_KEEP_FOR
        ),
    )

    async def start() -> None:
        await service.start(wait=START_WAIT)

    lifecycle.on_start(start)
    lifecycle.on_stop(service.stop)
    bind(GetRates, GetRates(service))
    bind(ConvertMoney, ConvertMoney(service))
    return service
