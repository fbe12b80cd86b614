"""Reading: only the recipient or an admin; lists of one's own, newest first, by cursor."""

import pytest

from domain.errors import InvalidTransitionError, NotFoundError, ValidationError
from domain.notifications import NotificationStatus
from tests.support.notification_world import ADMIN, ALICE, BOB, SERVICE, notification_world


@pytest.mark.anyio
async def test_the_recipient_and_an_admin_read_a_notification() -> None:
    world = notification_world()
    notification_id = await world.sent("alice")

    assert (await world.get(ALICE, notification_id)).recipient == "alice"
    assert (await world.get(ADMIN, notification_id)).id == notification_id


@pytest.mark.anyio
@pytest.mark.parametrize("reader", [BOB, SERVICE])
async def test_someone_elses_notification_is_not_found(reader: object) -> None:
    world = notification_world()
    notification_id = await world.sent("alice")
    with pytest.raises(NotFoundError):
        await world.get(reader, notification_id)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        await world.mark(reader, notification_id, "read")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_missing_notification_is_not_found() -> None:
    world = notification_world()
    with pytest.raises(NotFoundError):
        await world.get(ADMIN, "nope")


@pytest.mark.anyio
async def test_pages_are_newest_first_and_cursors_walk_them_without_gaps_or_repeats() -> None:
    world = notification_world()
    ids = []
    for i in range(7):
        ids.append(await world.sent("alice", f"s{i}"))
        world.clock.advance(1)
    await world.sent("bob")

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await world.list(ALICE, limit=3, cursor=cursor)
        seen += [n.id for n in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor.encode()

    assert seen == list(reversed(ids))
    assert pages == 3


@pytest.mark.anyio
async def test_notifications_created_at_the_same_instant_are_all_listed_once() -> None:
    world = notification_world()
    ids = {await world.sent("alice") for _ in range(5)}

    first = await world.list(ALICE, limit=2)
    assert first.next_cursor is not None
    second = await world.list(ALICE, limit=2, cursor=first.next_cursor.encode())
    assert second.next_cursor is not None
    third = await world.list(ALICE, limit=2, cursor=second.next_cursor.encode())

    listed = [n.id for page in (first, second, third) for n in page.items]
    assert sorted(listed) == sorted(ids)
    assert third.next_cursor is None


@pytest.mark.anyio
async def test_a_list_is_filtered_by_status() -> None:
    world = notification_world()
    delivered = await world.sent("alice")
    await world.worker.drain()
    world.clock.advance(1)
    waiting = await world.sent("alice")

    sent_page = await world.list(ALICE, status="sent")
    pending_page = await world.list(ALICE, status="pending")

    assert [n.id for n in sent_page.items] == [delivered]
    assert [n.id for n in pending_page.items] == [waiting]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "limit", "field"),
    [("bogus", 20, "status"), (None, 0, "limit"), (None, 101, "limit")],
)
async def test_bad_list_parameters_are_validation_errors(
    status: str | None, limit: int, field: str
) -> None:
    world = notification_world()
    with pytest.raises(ValidationError) as caught:
        await world.list(ALICE, status=status, limit=limit)
    assert [e.field for e in caught.value.errors] == [field]


@pytest.mark.anyio
async def test_a_sent_notification_is_marked_read_once_and_again_harmlessly() -> None:
    world = notification_world()
    notification_id = await world.sent("alice")
    await world.worker.drain()
    world.clock.advance(5)

    read = await world.mark(ALICE, notification_id, "read")
    again = await world.mark(ALICE, notification_id, "read")

    assert read.status is NotificationStatus.READ
    assert read.updated_at == world.clock.now()
    assert again == read
    assert await world.repository.get(notification_id) == read


@pytest.mark.anyio
async def test_a_pending_notification_cannot_be_marked_read() -> None:
    world = notification_world()
    notification_id = await world.sent("alice")
    with pytest.raises(InvalidTransitionError) as caught:
        await world.mark(ALICE, notification_id, "read")
    assert (caught.value.current, caught.value.wanted) == ("pending", "read")


@pytest.mark.anyio
@pytest.mark.parametrize("status", ["sent", "pending", None, 1])
async def test_only_read_may_be_asked_for(status: object) -> None:
    world = notification_world()
    notification_id = await world.sent("alice")
    await world.worker.drain()
    with pytest.raises(ValidationError):
        await world.mark(ALICE, notification_id, status)
