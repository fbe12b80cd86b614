"""The background services the composition root wires: the rates service that refreshes
the cache, and the notification channels with the delivery worker and its sweep."""

import asyncio
from collections.abc import Callable
from typing import Any

from adapters.channels.email import EmailChannel
from adapters.channels.log import LogChannel
from adapters.channels.router import ChannelRouter
from adapters.channels.webhook import WebhookChannel, WebhookSigner
from adapters.fallback_rates import builtin_history, fallback_table
from adapters.rates_feed import NoRateFeed, RatesFeed
from application.currency.rates_service import RatesService
from application.notifications.delivery import DeliveryWorker, RetryPolicy
from domain.ports import (
    Clock,
    DeliveryChannels,
    NotificationRepository,
    RateCache,
    RateHistoryStore,
    RateSource,
)
from entrypoints.lifecycle import Lifecycle
from entrypoints.metrics import record_delivery
from entrypoints.settings import Settings

# Start-up waits this long at most for the first rate table; past it the refresh goes on.
RATES_START_WAIT = 3.0
# The shared cache keeps a table this long: an instance starting while the feed is down
# serves it (marked stale) rather than the built-in table.
RATES_CACHE_KEEP_FOR = 7 * 86_400


def currency(
    bind: Callable[[type, Any], Any],
    settings: Settings,
    clock: Clock,
    lifecycle: Lifecycle,
    cache: RateCache,
    history: RateHistoryStore,
) -> None:
    """The feeds (or none) and the rates service that refreshes the cache in the background."""
    feed = (
        RatesFeed(settings.rates_urls, clock, settings.rates_format)
        if settings.rates_urls
        else NoRateFeed()
    )
    source: RateSource = bind(RateSource, feed)
    service: RatesService = bind(
        RatesService,
        RatesService(
            source,
            cache,
            clock,
            fallback_table(),
            settings.rates_ttl,
            RATES_CACHE_KEEP_FOR,
            history_store=history,
            builtin_history=builtin_history,
        ),
    )

    async def start() -> None:
        await service.start(wait=RATES_START_WAIT)

    lifecycle.on_start(start)
    lifecycle.on_stop(service.stop)


def notifications(
    bind: Callable[[type, Any], Any],
    settings: Settings,
    clock: Clock,
    lifecycle: Lifecycle,
    repository: NotificationRepository,
) -> None:
    """The channels, and the delivery worker and its sweep as background tasks."""
    webhook = WebhookChannel(
        settings.webhook_allowed_hosts,
        deadline=settings.webhook_deadline,
        signer=WebhookSigner(settings.webhook_secrets),
    )
    email = EmailChannel(settings.smtp_url) if settings.smtp_url else None
    channels = bind(DeliveryChannels, ChannelRouter(LogChannel(), webhook, email))
    worker: DeliveryWorker = bind(
        DeliveryWorker,
        DeliveryWorker(
            repository,
            channels,
            clock,
            RetryPolicy(max_age=float(settings.notification_max_age)),
            on_attempt=record_delivery,
        ),
    )
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        # Supervised: a worker loop that raises is logged and started again.
        tasks.append(lifecycle.supervisor.spawn("delivery_worker", worker.run))
        tasks.append(lifecycle.supervisor.spawn("delivery_sweep", worker.sweep_periodically))

    async def stop() -> None:
        # Deliveries in flight get a bounded time to finish; whatever is left stays pending
        # in the store, where another instance's sweep (or this one's next start) finds it.
        worker.stop()
        if tasks:
            await asyncio.wait(tasks[:1], timeout=worker.policy.stop_grace)
        for running in tasks:
            running.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await webhook.close()

    lifecycle.on_start(start)
    lifecycle.on_stop(stop)
