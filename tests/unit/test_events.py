"""Listing auth events: admins only, newest first, a bounded page."""

import pytest

from adapters.memory.auth import MemoryAuthEventLog
from domain.errors import ForbiddenError, InvalidCredentialsError, ValidationError
from domain.events import AuthEvent, AuthEventPage, AuthEventType
from tests.support.auth_world import ALICE_PASSWORD, CLIENT, seeded_world


@pytest.mark.anyio
async def test_events_are_listed_newest_first() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    world.clock.advance(1)
    await world.refresh(pair.refresh_token, CLIENT)
    world.clock.advance(1)
    with pytest.raises(InvalidCredentialsError):
        await world.login("alice", "wrong-password", CLIENT)
    world.clock.advance(1)
    admin = await world.admin()

    events = (await world.list_events(admin)).items

    assert [(e.type, e.username) for e in events] == [
        (AuthEventType.LOGIN_SUCCEEDED, "admin"),
        (AuthEventType.LOGIN_FAILED, "alice"),
        (AuthEventType.TOKEN_REFRESHED, "alice"),
        (AuthEventType.LOGIN_SUCCEEDED, "alice"),
    ]
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)


@pytest.mark.anyio
async def test_the_limit_keeps_only_the_newest_events() -> None:
    world = await seeded_world()
    for _ in range(3):
        await world.login("alice", ALICE_PASSWORD, CLIENT)
    admin = await world.admin()

    events = (await world.list_events(admin, limit=2)).items

    assert [e.username for e in events] == ["admin", "alice"]


@pytest.mark.parametrize("limit", [0, -1, 1001])
@pytest.mark.anyio
async def test_a_limit_outside_1_to_1000_is_a_validation_error_on_limit(limit: int) -> None:
    world = await seeded_world()

    with pytest.raises(ValidationError) as error:
        await world.list_events(await world.admin(), limit=limit)

    assert [e.field for e in error.value.errors] == ["limit"]


@pytest.mark.parametrize("limit", [1, 1000])
@pytest.mark.anyio
async def test_the_limit_bounds_are_inclusive(limit: int) -> None:
    world = await seeded_world()

    events = (await world.list_events(await world.admin(), limit=limit)).items

    assert len(events) == 1


@pytest.mark.anyio
async def test_a_non_admin_may_not_list_events() -> None:
    world = await seeded_world()
    alice = await world.verify((await world.login("alice", ALICE_PASSWORD, CLIENT)).access_token)

    with pytest.raises(ForbiddenError):
        await world.list_events(alice)


@pytest.mark.anyio
async def test_the_event_log_keeps_the_newest_events_and_counts_the_dropped() -> None:
    log = MemoryAuthEventLog(max_events=3)

    for i in range(5):
        await log.record(AuthEvent(f"e{i}", AuthEventType.LOGOUT, f"user{i}", float(i), CLIENT))

    assert [e.id for e in (await log.page(10)).items] == ["e4", "e3", "e2"]
    assert log.dropped == 2


@pytest.mark.anyio
async def test_recording_the_same_event_twice_keeps_one_so_replay_is_idempotent() -> None:
    log = MemoryAuthEventLog()
    event = AuthEvent("e1", AuthEventType.LOGOUT, "alice", 1.0, CLIENT)

    await log.record(event)
    await log.record(event)

    assert (await log.page(10)).items == (event,)


@pytest.mark.anyio
async def test_a_stored_event_that_cannot_be_shown_is_left_out_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = MemoryAuthEventLog()
    for i, name in enumerate(["alice", "bad\ud800name", "bob"]):
        await log.record(AuthEvent(f"e{i}", AuthEventType.LOGIN_FAILED, name, 1.0 + i, "c"))

    for _ in range(2):
        assert [e.username for e in (await log.page(10)).items] == ["bob", "alice"]
    assert [e.username for e in (await log.page(1)).items] == ["bob"]

    skipped = [r for r in caplog.records if "event=record_skipped" in r.getMessage()]
    assert len(skipped) == 1 and "id=e1" in skipped[0].getMessage()


@pytest.mark.parametrize(
    "cursor", ["", "abc", "m", "m-1", "1-", "-1", "1-2-3", "m1\n", "1" * 20 + "-0"]
)
@pytest.mark.anyio
async def test_a_forged_cursor_is_a_validation_error_on_cursor(cursor: str) -> None:
    world = await seeded_world()

    with pytest.raises(ValidationError) as error:
        await world.list_events(await world.admin(), cursor=cursor)

    assert [e.field for e in error.value.errors] == ["cursor"]


@pytest.mark.anyio
async def test_the_memory_log_starts_from_the_newest_for_a_redis_cursor() -> None:
    log = MemoryAuthEventLog()
    for i in range(3):
        await log.record(AuthEvent(f"e{i}", AuthEventType.LOGOUT, "alice", float(i), CLIENT))

    page = await log.page(2, "1767605400000-0")

    assert [e.id for e in page.items] == ["e2", "e1"]
    assert page.next_cursor == "m1"


@pytest.mark.anyio
async def test_pages_of_a_ring_that_wrapped_hold_every_kept_event_once() -> None:
    log = MemoryAuthEventLog(max_events=5)
    for i in range(13):  # wraps the ring twice and a bit
        await log.record(AuthEvent(f"e{i}", AuthEventType.LOGOUT, "u", float(i), CLIENT))

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        page = await log.page(2, cursor)
        seen += [e.id for e in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == ["e12", "e11", "e10", "e9", "e8"]


@pytest.mark.anyio
async def test_a_cursor_older_than_every_kept_event_ends_the_walk() -> None:
    log = MemoryAuthEventLog(max_events=3)
    for i in range(3):
        await log.record(AuthEvent(f"e{i}", AuthEventType.LOGOUT, "u", float(i), CLIENT))
    cursor = (await log.page(1)).next_cursor
    for i in range(3, 9):  # everything the cursor pointed into falls off
        await log.record(AuthEvent(f"e{i}", AuthEventType.LOGOUT, "u", float(i), CLIENT))

    assert cursor is not None
    assert await log.page(10, cursor) == AuthEventPage((), None)
