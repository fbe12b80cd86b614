"""Slow and hostile webhook receivers harm only their own notifications: an attempt has one
deadline, an answer is read only so far, a target that cannot be requested is a failed
attempt, and a slow receiver holds back neither other receivers nor the log."""

import asyncio
import ipaddress
import string
import threading
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.channels import webhook as webhook_channel
from adapters.channels.log import LogChannel
from adapters.channels.router import ChannelRouter
from adapters.channels.webhook import ANSWER_DRAINED, WebhookChannel
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.system import SystemClock
from application.notifications.delivery import DeliveryWorker
from domain.errors import DeliveryError
from domain.notifications import Channel, NotificationStatus
from domain.webhook_targets import Address
from tests.fakes import START
from tests.support.notifications import notification
from tests.support.waiting import until
from tests.webhook_server import ALLOWED, Reply, WebhookServer, webhook_server

pytestmark = pytest.mark.anyio
HUGE = 400 << 20
# What loopback socket buffers can hold between the two ends, far below HUGE.
BUFFERED = 32 << 20


def finished(server: WebhookServer) -> Callable[[], bool]:
    return lambda: server.live == 0


async def test_a_dripping_receiver_is_cut_off_at_the_attempts_deadline() -> None:
    channel = WebhookChannel(ALLOWED, deadline=1.0)
    with webhook_server(Reply(drip=0.05)) as server:
        with pytest.raises(DeliveryError, match=r"^webhook timed out \(1 s\)$"):
            await channel.deliver(notification(target=server.url(), at=START))
        assert await until(finished(server), within=20.0)  # we hung up: the receiver's writes fail
    await channel.close()
    assert len(server.received) == 1


async def test_a_huge_answer_is_not_read() -> None:
    channel = WebhookChannel(ALLOWED)
    with webhook_server(Reply(200, answer_bytes=HUGE)) as server:
        await channel.deliver(notification(target=server.url(), at=START))
        assert await until(finished(server), within=20.0)
    await channel.close()
    assert 0 < server.sent_bytes < BUFFERED


async def test_a_short_answer_is_drained_and_the_connection_reused() -> None:
    channel = WebhookChannel(ALLOWED)
    with webhook_server(Reply(200, answer_bytes=ANSWER_DRAINED - 1)) as server:
        for _ in range(3):
            await channel.deliver(notification(target=server.url(), at=START))
    await channel.close()
    assert len(server.received) == 3
    # HTTP/1.0 server: each answer ends its connection; what matters is that all were read.
    assert server.sent_bytes == 3 * (ANSWER_DRAINED - 1)


async def anything_is_here(host: str, port: int) -> list[Address]:
    return [ipaddress.ip_address("127.0.0.1")]


HOSTS = st.text(
    string.ascii_letters + string.digits + "-._~%!$&'()*+,;=ßü\u200d\u0300\x7f", max_size=70
)
PATHS = st.text(max_size=40).map(lambda p: "/" + p)


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookServer]:
    with webhook_server(Reply(204)) as server:
        yield server


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(host=HOSTS, path=PATHS)
async def test_a_target_that_cannot_be_requested_is_a_failed_attempt(
    receiver: WebhookServer, host: str, path: str
) -> None:
    target = f"http://{host}:{receiver.port}{path}"
    try:
        channel = WebhookChannel((host, "127.0.0.1"), deadline=5.0, resolver=anything_is_here)
    except ValueError:
        return  # not an entry the settings accept
    try:
        await channel.deliver(notification(target=target, at=START))
    except DeliveryError:
        pass  # a failed attempt: anything else fails the test
    finally:
        await channel.close()


async def test_the_worker_counts_an_unrequestable_target_as_a_failed_attempt() -> None:
    clock = SystemClock()
    repository = MemoryNotificationRepository(clock)
    webhook = WebhookChannel(("ex\u00e4mple\u0300.com", "127.0.0.1"), resolver=anything_is_here)
    worker = DeliveryWorker(repository, ChannelRouter(LogChannel(), webhook, None), clock)
    sent = notification("n1", at=clock.now(), target="http://ex\u00e4mple\u0300.com/hook")
    await repository.add(sent)
    worker.enqueue(sent.id)

    await worker.drain()
    await webhook.close()

    stored = await repository.get(sent.id)
    assert stored is not None
    assert (stored.status, stored.attempts) == (NotificationStatus.PENDING, 1)
    assert stored.error == "webhook target cannot be requested: not a valid URL"


async def test_a_dripping_receiver_holds_back_neither_the_log_nor_another_receiver() -> None:
    clock = SystemClock()
    repository = MemoryNotificationRepository(clock)
    webhook = WebhookChannel(ALLOWED, deadline=30.0)
    worker = DeliveryWorker(
        repository, ChannelRouter(LogChannel(), webhook, None), clock, per_destination=2
    )
    with (
        webhook_server(Reply(drip=0.1)) as slow,
        webhook_server(Reply(204)) as fast,
    ):
        for i in range(5):  # more than the destination may take at once
            await repository.add(notification(f"slow{i}", at=clock.now(), target=slow.url(f"/{i}")))
            worker.enqueue(f"slow{i}")
        running = asyncio.create_task(worker.run())
        assert await until(lambda: slow.live == 2, within=20.0)

        await repository.add(
            notification(
                "log1",
                at=clock.now(),
                recipient="bob",
                channel=Channel.LOG,
                target=None,
                metadata={},
            )
        )
        await repository.add(notification("fast1", at=clock.now(), target=fast.url()))
        worker.enqueue("log1")
        worker.enqueue("fast1")

        async def both_sent() -> bool:
            found = [await repository.get(i) for i in ("log1", "fast1")]
            return all(n is not None and n.status is NotificationStatus.SENT for n in found)

        assert await until(both_sent, within=20.0)
        assert slow.live == 2  # the slow attempts still run: nobody waited for them
        assert len(slow.received) == 2  # the other three wait their turn, holding no slot
        worker.stop()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    await webhook.close()


async def test_resolutions_that_hang_hold_only_the_resolvers_own_threads() -> None:
    released = threading.Event()
    hung = [webhook_channel._RESOLVERS.submit(released.wait, 30) for _ in range(4)]
    try:
        waiting = asyncio.create_task(webhook_channel.resolve("localhost", 80))
        # The process's other thread work goes on while every resolver thread is held.
        assert await asyncio.to_thread(lambda: "served") == "served"
        await asyncio.sleep(0.05)
        assert not waiting.done()  # queued behind the hung ones, bounded by their number
    finally:
        released.set()
    assert await waiting
    assert all(f.result() for f in hung)
