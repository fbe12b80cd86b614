"""Sending: who may, what is valid, and idempotent repeats."""

import pytest

from domain.errors import ForbiddenError, ValidationError
from domain.notifications import (
    IDEMPOTENCY_WINDOW,
    METADATA_MAX_BYTES,
    METADATA_MAX_DEPTH,
    NotificationStatus,
)
from tests.support.notification_world import ADMIN, ALICE, SERVICE, notification_world


@pytest.mark.anyio
@pytest.mark.parametrize("sender", [ADMIN, SERVICE])
async def test_admins_and_services_send_and_it_is_stored_pending(sender: object) -> None:
    world = notification_world()

    result = await world.send(sender, "alice", "log", "Hi", "text", None, {"k": 1})  # type: ignore[arg-type]

    assert result.created
    stored = await world.repository.get(result.notification.id)
    assert stored == result.notification
    assert stored is not None and stored.status is NotificationStatus.PENDING
    assert (stored.sender, stored.metadata, stored.attempts) == (sender.sub, {"k": 1}, 0)  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_a_plain_user_may_not_send() -> None:
    world = notification_world()
    with pytest.raises(ForbiddenError):
        await world.send(ALICE, "bob", "log", "Hi", "text")
    assert len(world.repository) == 0


@pytest.mark.anyio
async def test_delivery_happens_off_the_request_path() -> None:
    world = notification_world()
    notification_id = await world.sent()
    assert world.channels.delivered == []

    await world.worker.drain()

    assert [n.id for n in world.channels.delivered] == [notification_id]
    stored = await world.repository.get(notification_id)
    assert stored is not None and (stored.status, stored.attempts) == (NotificationStatus.SENT, 1)


@pytest.mark.anyio
async def test_every_invalid_field_is_reported_at_once() -> None:
    world = notification_world()
    with pytest.raises(ValidationError) as caught:
        await world.send(SERVICE, "not a name!", "pigeon", "x" * 201, "y" * 10_001, 5, [1])
    fields = {e.field for e in caught.value.errors}
    assert fields == {"recipient", "channel", "subject", "body", "metadata", "target"}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("channel", "target"),
    [
        ("webhook", None),
        ("webhook", "https://evil.example.net/hook"),
        ("email", None),
        ("email", "not-an-address"),
        ("email", "a@b.example\r\nBcc: x@y.example"),
    ],
)
async def test_targets_are_checked_before_acceptance(channel: str, target: str | None) -> None:
    world = notification_world()
    with pytest.raises(ValidationError) as caught:
        await world.send(SERVICE, "alice", channel, "Hi", "text", target)
    assert [e.field for e in caught.value.errors] == ["target"]
    assert len(world.repository) == 0


@pytest.mark.anyio
async def test_an_allowed_webhook_and_an_email_address_are_accepted() -> None:
    world = notification_world()
    hook = await world.send(SERVICE, "alice", "webhook", "Hi", "", "https://hooks.example.com/x")
    mail = await world.send(SERVICE, "alice", "email", "Hi", "", "alice@example.com")
    assert hook.created and mail.created


@pytest.mark.anyio
async def test_the_same_key_from_the_same_sender_returns_the_first_notification() -> None:
    world = notification_world()
    first = await world.send(SERVICE, "alice", "log", "Hi", "one", idempotency_key="k-1")
    again = await world.send(SERVICE, "alice", "log", "Other", "two", idempotency_key="k-1")

    assert first.created and not again.created
    assert again.notification == first.notification
    assert len(world.repository) == 1
    await world.worker.drain()
    assert len(world.channels.delivered) == 1


@pytest.mark.anyio
async def test_the_same_key_from_another_sender_is_another_notification() -> None:
    world = notification_world()
    first = await world.send(SERVICE, "alice", "log", "Hi", "one", idempotency_key="k-1")
    other = await world.send(ADMIN, "alice", "log", "Hi", "one", idempotency_key="k-1")
    assert other.created and other.notification.id != first.notification.id


@pytest.mark.anyio
async def test_a_key_is_forgotten_after_24_hours() -> None:
    world = notification_world()
    first = await world.send(SERVICE, "alice", "log", "Hi", "one", idempotency_key="k-1")
    world.clock.advance(IDEMPOTENCY_WINDOW + 1)
    later = await world.send(SERVICE, "alice", "log", "Hi", "one", idempotency_key="k-1")
    assert later.created and later.notification.id != first.notification.id


@pytest.mark.anyio
@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "caf\u00e9"])
async def test_a_malformed_idempotency_key_is_refused(key: str) -> None:
    world = notification_world()
    with pytest.raises(ValidationError) as caught:
        await world.send(SERVICE, "alice", "log", "Hi", "one", idempotency_key=key)
    assert [e.field for e in caught.value.errors] == ["Idempotency-Key"]


def _nested(levels: int) -> dict[str, object]:
    value: dict[str, object] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"d": value}
    return value


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (_nested(METADATA_MAX_DEPTH + 1), f"at most {METADATA_MAX_DEPTH} levels"),
        (_nested(960), f"at most {METADATA_MAX_DEPTH} levels"),
        ({"blob": "x" * METADATA_MAX_BYTES}, f"at most {METADATA_MAX_BYTES} bytes"),
        ({"k": ["ok", "\udfff"]}, "not valid Unicode at k[1]"),
        ({"\ud800": 1}, "not valid Unicode"),
        ([1, 2], "must be an object"),
    ],
)
async def test_metadata_beyond_its_bounds_is_refused_and_nothing_is_stored(
    metadata: object, message: str
) -> None:
    world = notification_world()
    with pytest.raises(ValidationError) as caught:
        await world.send(SERVICE, "alice", "log", "Hi", "text", None, metadata)
    assert [(e.field, message in e.message) for e in caught.value.errors] == [("metadata", True)]
    assert len(world.repository) == 0


@pytest.mark.anyio
async def test_metadata_at_its_bounds_is_accepted() -> None:
    world = notification_world()
    result = await world.send(
        SERVICE, "alice", "log", "Hi", "text", None, _nested(METADATA_MAX_DEPTH)
    )
    assert result.created
