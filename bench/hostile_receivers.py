"""What a hostile webhook receiver costs the process: memory and bytes taken in for a 400 MB
answer, how long an unrelated `log` notification waits while a receiver drips its answer,
and how often one webhook-id is sent while an attempt outlives three delivery leases on a
shared Redis. Writes its section of docs/BENCHMARKS.md.

    .venv/bin/python bench/hostile_receivers.py
"""

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.channels.log import LogChannel  # noqa: E402
from adapters.channels.router import ChannelRouter  # noqa: E402
from adapters.channels.webhook import WebhookChannel  # noqa: E402
from adapters.memory.notifications import MemoryNotificationRepository  # noqa: E402
from adapters.redis.client import make_client  # noqa: E402
from adapters.redis.notifications import RedisNotificationRepository  # noqa: E402
from adapters.system import SystemClock  # noqa: E402
from application.notifications.delivery import DeliveryWorker, RetryPolicy  # noqa: E402
from bench.report import machine_line, write_section  # noqa: E402
from domain.notifications import Channel, Notification, NotificationStatus  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.support.waiting import until  # noqa: E402
from tests.webhook_server import Reply, webhook_server  # noqa: E402

HUGE = 400 << 20
ALLOWED = ("127.0.0.1",)


# Every wait has a deadline, far beyond what it takes (a run that hangs fails, saying on
# what). A millisecond between two looks: the wait of the `log` notification is measured by
# them.
POLL = 0.001
DEADLINE = 60.0


async def waited(what: str, check: Callable[[], object | Awaitable[object]]) -> None:
    """Polls `check` (a thread's counter or the store) every POLL until it holds."""
    if not await until(check, DEADLINE, step=POLL):
        raise TimeoutError(f"{what}: not seen within {DEADLINE:g} s")


@contextlib.asynccontextmanager
async def deadline(what: str) -> AsyncIterator[None]:
    """The block is done within DEADLINE, or the run fails saying what hung."""
    try:
        async with asyncio.timeout(DEADLINE):
            yield
    except TimeoutError:
        raise TimeoutError(f"{what}: not done within {DEADLINE:g} s") from None


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1])
    return 0


def notification(id_: str, channel: Channel, target: str | None = None) -> Notification:
    now = time.time()
    return Notification(id_, "alice", "bench", channel, "s", "b", now, now, target=target)


async def huge_answer() -> tuple[int, int]:
    channel = WebhookChannel(ALLOWED)
    with webhook_server(Reply(200, answer_bytes=HUGE)) as server:
        before = peak_rss_kib()
        async with deadline("the delivery of the huge answer"):
            await channel.deliver(notification("huge", Channel.WEBHOOK, server.url()))
        await waited("the huge answer's connection closed", lambda: server.live == 0)
        grown = peak_rss_kib() - before
    await channel.close()
    return grown, server.sent_bytes


async def log_behind_a_drip() -> float:
    clock = SystemClock()
    repository = MemoryNotificationRepository(clock)
    webhook = WebhookChannel(ALLOWED, deadline=10.0)
    worker = DeliveryWorker(repository, ChannelRouter(LogChannel(), webhook, None), clock)
    with webhook_server(Reply(drip=0.5)) as slow:
        await repository.add(notification("slow", Channel.WEBHOOK, slow.url()))
        worker.enqueue("slow")
        running = asyncio.create_task(worker.run())
        await waited("the dripping receiver answering", lambda: slow.live > 0)
        start = time.perf_counter()
        await repository.add(notification("log", Channel.LOG))
        worker.enqueue("log")

        async def sent() -> bool:
            found = await repository.get("log")
            return found is not None and found.status is NotificationStatus.SENT

        await waited("the log notification sent", sent)
        log_wait = time.perf_counter() - start
        worker.stop()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    await webhook.close()
    return log_wait


async def sends_while_live(redis_url: str) -> int:
    policy = RetryPolicy(lease=0.6, sweep_grace=0.0)
    clock = SystemClock()
    clients: list[Any] = [make_client(redis_url, 2.0, 2.0) for _ in range(2)]
    webhooks = [WebhookChannel(ALLOWED, deadline=3 * policy.lease) for _ in range(2)]
    first, second = (
        DeliveryWorker(
            RedisNotificationRepository(c), ChannelRouter(LogChannel(), w, None), clock, policy
        )
        for c, w in zip(clients, webhooks, strict=True)
    )
    with webhook_server(Reply(drip=0.05)) as receiver:
        await first.repository.add(notification("slow", Channel.WEBHOOK, receiver.url()))
        first.enqueue("slow")
        running = asyncio.create_task(first.run())
        await waited("the slow receiver answering", lambda: receiver.live > 0)
        async with deadline("the attempt outliving its leases, and the first worker"):
            while receiver.live:
                await second.sweep()
                await second.drain()
                await asyncio.sleep(policy.lease / 4)
            first.stop()
            await running
        sent = len(receiver.received)
    for webhook in webhooks:
        await webhook.close()
    for client in clients:
        await client.aclose()
    return sent


@attrs.frozen
class Figures:
    rss_kib: int
    sent_bytes: int
    log_wait: float
    sends: int


async def measure(redis_url: str) -> Figures:
    grown, sent = await huge_answer()
    return Figures(grown, sent, await log_behind_a_drip(), await sends_while_live(redis_url))


def main() -> None:
    redis = RedisServer().start()
    try:
        figures = asyncio.run(measure(redis.url))
    finally:
        redis.stop()
    lines = [
        machine_line(),
        "",
        "| hostile receiver | measured |",
        "|---|---|",
        f"| 200 answer of 400 MiB | peak RSS +{figures.rss_kib / 1024:.1f} MiB; "
        f"{figures.sent_bytes / 2**20:.1f} MiB left the receiver (socket buffers) |",
        f"| receiver dripping 1 byte / 0.5 s, then a `log` notification | sent after "
        f"{figures.log_wait * 1000:.0f} ms, the drip still running |",
        f"| attempt of 1.8 s, lease 0.6 s, second worker sweeping every 0.15 s | "
        f"webhook-id sent {figures.sends} time(s) |",
        "",
        "Command: `.venv/bin/python bench/hostile_receivers.py`.",
    ]
    print("\n".join(lines))
    write_section(
        ROOT / "docs" / "BENCHMARKS.md", "hostile-receivers", lines, "## Hostile webhook receivers"
    )


if __name__ == "__main__":
    main()
