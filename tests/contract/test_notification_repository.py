"""The notification repository's contract, run against the memory, Redis and failover adapters."""

import time
from typing import Any

import attrs
import pytest

from adapters.failover.core import Failover
from adapters.failover.notifications import FailoverNotificationRepository
from adapters.memory.notifications import MemoryNotificationRepository
from adapters.redis.notifications import RedisNotificationRepository
from adapters.system import SystemClock
from domain.notifications import Channel, Notification, NotificationStatus, PageCursor
from tests.contract.conftest import Backend

pytestmark = pytest.mark.anyio
NOW = time.time()


@pytest.fixture
def repository(backend: Backend) -> Any:
    # Redis expires keys on its own clock, so notifications are stamped with real time.
    clock = SystemClock()
    return backend.pick(
        memory=lambda: MemoryNotificationRepository(clock),
        redis=RedisNotificationRepository,
        failover=lambda link: FailoverNotificationRepository(
            RedisNotificationRepository(link.client),
            MemoryNotificationRepository(clock),
            Failover(link, "notifications", journal=link.journal),
        ),
    )


def notification(
    id_: str, recipient: str = "alice", at: float = NOW, **changes: Any
) -> Notification:
    base = Notification(
        id=id_,
        recipient=recipient,
        sender="billing",
        channel=Channel.WEBHOOK,
        subject=f"subject {id_}",
        body='body: ünïcödé, "quotes" and\nnew lines',
        created_at=at,
        updated_at=at,
        target="https://hooks.example.com/x",
        metadata={"order": 42, "tags": ["a", "b"], "nested": {"ok": True, "none": None}},
    )
    return attrs.evolve(base, **changes)


async def page_ids(repository: Any, recipient: str, limit: int, **kw: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page = await repository.list_for_recipient(recipient, kw.get("status"), limit, after)
        pages.append([n.id for n in page.items])
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


async def test_a_notification_added_is_read_back_field_for_field(repository: Any) -> None:
    added = notification("n1")
    await repository.add(added)
    assert await repository.get("n1") == added
    assert await repository.get("missing") is None


async def test_optional_fields_round_trip_as_absent(repository: Any) -> None:
    added = notification("n1", channel=Channel.LOG, target=None, metadata={})
    await repository.add(added)
    assert await repository.get("n1") == added


async def test_an_update_replaces_the_delivery_state(repository: Any) -> None:
    await repository.add(notification("n1"))
    retried = notification("n1", attempts=1, error="webhook answered 500", updated_at=NOW + 1)
    await repository.update(retried)
    assert await repository.get("n1") == retried

    sent = notification("n1", status=NotificationStatus.SENT, attempts=2, updated_at=NOW + 2)
    await repository.update(sent)
    assert await repository.get("n1") == sent
    page = await repository.list_for_recipient("alice", None, 10, None)
    assert page.items == (sent,)


async def test_lists_hold_only_the_recipients_own_newest_first(repository: Any) -> None:
    for i in range(5):
        await repository.add(notification(f"a{i}", at=NOW + i))
    await repository.add(notification("b0", recipient="bob", at=NOW + 10))

    page = await repository.list_for_recipient("alice", None, 10, None)

    assert [n.id for n in page.items] == ["a4", "a3", "a2", "a1", "a0"]
    assert page.next_cursor is None
    empty = await repository.list_for_recipient("carol", None, 10, None)
    assert empty.items == () and empty.next_cursor is None


async def test_cursors_walk_every_page_once(repository: Any) -> None:
    for i in range(7):
        await repository.add(notification(f"a{i}", at=NOW + i))

    assert await page_ids(repository, "alice", 3) == [
        ["a6", "a5", "a4"],
        ["a3", "a2", "a1"],
        ["a0"],
    ]


async def test_a_full_last_page_has_no_next_cursor(repository: Any) -> None:
    for i in range(4):
        await repository.add(notification(f"a{i}", at=NOW + i))
    assert await page_ids(repository, "alice", 2) == [["a3", "a2"], ["a1", "a0"]]


async def test_notifications_of_the_same_instant_are_paged_without_loss(repository: Any) -> None:
    for id_ in ("x1", "x2", "x3", "x4", "x5"):
        await repository.add(notification(id_, at=NOW))
    await repository.add(notification("older", at=NOW - 1))

    pages = await page_ids(repository, "alice", 2)

    assert pages == [["x5", "x4"], ["x3", "x2"], ["x1", "older"]]


async def test_a_status_filter_keeps_pages_full(repository: Any) -> None:
    for i in range(6):
        status = NotificationStatus.SENT if i % 2 else NotificationStatus.PENDING
        await repository.add(notification(f"a{i}", at=NOW + i, status=status))

    assert await page_ids(repository, "alice", 2, status=NotificationStatus.SENT) == [
        ["a5", "a3"],
        ["a1"],
    ]


async def test_a_cursor_past_the_end_gives_an_empty_page(repository: Any) -> None:
    await repository.add(notification("a0", at=NOW))
    page = await repository.list_for_recipient("alice", None, 5, PageCursor(NOW - 100, "z"))
    assert page.items == () and page.next_cursor is None


async def test_an_idempotency_key_is_held_by_its_first_claimant(repository: Any) -> None:
    assert await repository.claim_idempotency_key("billing", "k1", "n1", 60) == "n1"
    assert await repository.claim_idempotency_key("billing", "k1", "n2", 60) == "n1"
    assert await repository.claim_idempotency_key("other", "k1", "n3", 60) == "n3"
    assert await repository.claim_idempotency_key("billing", "k2", "n4", 60) == "n4"


async def test_a_key_is_freed_only_by_the_notification_that_holds_it(repository: Any) -> None:
    assert await repository.claim_idempotency_key("billing", "k1", "n1", 60) == "n1"
    await repository.release_idempotency_key("billing", "k1", "other")
    assert await repository.claim_idempotency_key("billing", "k1", "n2", 60) == "n1"

    await repository.release_idempotency_key("billing", "k1", "n1")
    assert await repository.claim_idempotency_key("billing", "k1", "n3", 60) == "n3"


async def test_pending_notifications_are_listed_by_last_update_oldest_first(
    repository: Any,
) -> None:
    await repository.add(notification("late", at=NOW - 10))
    await repository.add(notification("early", at=NOW - 30))
    await repository.add(notification("fresh", at=NOW))
    await repository.add(notification("sent", at=NOW - 40, status=NotificationStatus.SENT))
    await repository.add(notification("failed", at=NOW - 40, status=NotificationStatus.FAILED))

    assert await repository.pending_before(NOW - 5, 10) == ["early", "late"]
    assert await repository.pending_before(NOW - 5, 1) == ["early"]
    assert await repository.pending_before(NOW - 60, 10) == []


async def test_a_notification_leaves_the_pending_list_when_delivered_and_moves_when_retried(
    repository: Any,
) -> None:
    await repository.add(notification("a", at=NOW - 30))
    await repository.add(notification("b", at=NOW - 20))

    await repository.update(notification("a", at=NOW - 30, attempts=1, updated_at=NOW))
    await repository.update(
        notification("b", at=NOW - 20, status=NotificationStatus.SENT, updated_at=NOW - 19)
    )

    assert await repository.pending_before(NOW - 5, 10) == []
    assert await repository.pending_before(NOW, 10) == ["a"]


async def test_the_delivery_schedule_round_trips(repository: Any) -> None:
    scheduled = notification("n1", attempts=1, due_at=NOW + 120, pending_since=NOW - 5)
    await repository.add(scheduled)
    assert await repository.get("n1") == scheduled


async def test_a_pending_notification_is_listed_by_when_it_is_due(repository: Any) -> None:
    # A receiver asked for time (Retry-After): a sweep leaves it alone until then.
    await repository.add(notification("waits", at=NOW - 30, attempts=1, due_at=NOW + 100))
    await repository.add(notification("due", at=NOW - 30, attempts=1, due_at=NOW - 20))

    assert await repository.pending_before(NOW - 5, 10) == ["due"]
    assert await repository.pending_before(NOW + 100, 10) == ["due", "waits"]


async def test_a_delivery_lease_is_held_by_one_owner_until_released(repository: Any) -> None:
    assert await repository.claim_delivery("n1", "worker-a", 60)
    assert not await repository.claim_delivery("n1", "worker-b", 60)
    assert await repository.claim_delivery("n1", "worker-a", 60)  # its own: still held
    assert await repository.claim_delivery("n2", "worker-b", 60)  # leases are per notification

    await repository.release_delivery("n1", "worker-b")  # not its lease: nothing happens
    assert not await repository.claim_delivery("n1", "worker-b", 60)
    await repository.release_delivery("n1", "worker-a")
    assert await repository.claim_delivery("n1", "worker-b", 60)


async def test_a_key_whose_notification_was_stored_after_all_is_not_freed(repository: Any) -> None:
    assert await repository.claim_idempotency_key("billing", "k1", "n1", 60) == "n1"
    await repository.add(notification("n1"))

    await repository.release_idempotency_key("billing", "k1", "n1")

    assert await repository.claim_idempotency_key("billing", "k1", "n2", 60) == "n1"


async def test_a_stored_record_that_cannot_be_shown_is_left_out_of_the_page(
    repository: Any, caplog: pytest.LogCaptureFixture
) -> None:
    deep: Any = "leaf"
    for _ in range(200):  # stored before metadata was bounded: deeper than any page can show
        deep = {"d": deep}
    await repository.add(notification("n1", at=NOW))
    await repository.add(notification("n2", at=NOW + 1, metadata=deep))
    await repository.add(notification("n3", at=NOW + 2))

    for _ in range(2):
        assert await page_ids(repository, "alice", 10) == [["n3", "n1"]]

    skipped = [r for r in caplog.records if "event=record_skipped" in r.getMessage()]
    assert len(skipped) == 1 and "id=n2" in skipped[0].getMessage()


async def test_a_stored_record_that_cannot_be_shown_reads_as_absent(
    repository: Any, caplog: pytest.LogCaptureFixture
) -> None:
    deep: Any = "leaf"
    for _ in range(200):
        deep = {"d": deep}
    await repository.add(notification("n1", metadata=deep))

    assert await repository.get("n1") is None  # a 404 for the reader, not a 500

    skipped = [r for r in caplog.records if "event=record_skipped" in r.getMessage()]
    assert len(skipped) == 1 and "id=n1" in skipped[0].getMessage()
