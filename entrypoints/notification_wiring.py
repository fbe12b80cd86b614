"""The notifications' part of the composition root: repository (memory, or Redis behind the
failover), channels, the delivery worker and its sweep as background tasks, and the use cases."""

import asyncio
from collections.abc import Callable
from typing import Any

from adapters.channels.email import EmailChannel
from adapters.channels.log import LogChannel
from adapters.channels.router import ChannelRouter
from adapters.channels.webhook import WebhookChannel, WebhookSigner
from adapters.failover.link import RedisLink
from adapters.failover.notifications import FailoverNotificationRepository
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.redis.notifications import RedisNotificationRepository
from application.notifications.delivery import DeliveryWorker, RetryPolicy
from application.notifications.read import (
    GetNotification,
    ListNotifications,
    MarkNotificationRead,
)
from application.notifications.redeliver import RedeliverNotification
from application.notifications.send import SendNotification
from domain.ports import Clock, DeliveryChannels, IdSource, NotificationRepository
from entrypoints.http.metrics import record_delivery
from entrypoints.lifecycle import Lifecycle
from entrypoints.redis_wiring import failover_for
from entrypoints.settings import Settings

Bind = Callable[[type, Any], Any]


def _repository(settings: Settings, clock: Clock, link: RedisLink | None) -> Any:
    if link is None or settings.redis is None:
        return MemoryNotificationRepository(clock)
    return FailoverNotificationRepository(
        RedisNotificationRepository(link.client),
        MemoryNotificationRepository(clock, settings.redis.fallback_max),
        failover_for(link, link.journal, "notifications", settings.policies.notifications),
    )


def bind_notifications(
    bind: Bind,
    settings: Settings,
    clock: Clock,
    ids: IdSource,
    lifecycle: Lifecycle,
    link: RedisLink | None,
) -> DeliveryWorker:
    repository = bind(NotificationRepository, _repository(settings, clock, link))
    webhook = WebhookChannel(
        settings.webhook_allowed_hosts, signer=WebhookSigner(settings.webhook_secrets)
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
    bind(SendNotification, SendNotification(repository, channels, worker, clock, ids))
    bind(GetNotification, GetNotification(repository))
    bind(ListNotifications, ListNotifications(repository))
    bind(MarkNotificationRead, MarkNotificationRead(repository, clock))
    bind(RedeliverNotification, RedeliverNotification(repository, worker, clock))

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
    return worker
