"""The NotificationStore contract (notifications by id, by recipient, and pending), run
against the memory, Redis and failover adapters."""

from typing import Any

import pytest

from domain.notifications import Channel, NotificationStatus, PageCursor
from tests.contract.backends import Backend
from tests.contract.notification_data import NOW, adapter_for, notification, page_ids

pytestmark = pytest.mark.anyio


@pytest.fixture
def repository(backend: Backend) -> Any:
    return adapter_for(backend)


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
