"""The moves a notification may make, and cursors that survive a round trip."""

import pytest

from domain.errors import InvalidTransitionError, ValidationError
from domain.notifications import (
    TRANSITIONS,
    Channel,
    Notification,
    NotificationStatus,
    PageCursor,
)
from tests.support.notifications import notification

S = NotificationStatus
ALLOWED = {(S.PENDING, S.SENT), (S.PENDING, S.FAILED), (S.SENT, S.READ), (S.FAILED, S.PENDING)}


def at_100(status: NotificationStatus) -> Notification:
    return notification(status=status, at=100.0, channel=Channel.LOG)


def test_the_transition_table_is_exactly_the_documented_one() -> None:
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("wanted", list(S))
def test_only_allowed_moves_succeed(
    current: NotificationStatus, wanted: NotificationStatus
) -> None:
    if (current, wanted) in ALLOWED:
        moved = at_100(current).moved_to(wanted, 200.0, None)
        assert (moved.status, moved.updated_at, moved.created_at) == (wanted, 200.0, 100.0)
    else:
        with pytest.raises(InvalidTransitionError):
            at_100(current).moved_to(wanted, 200.0)


def test_a_successful_attempt_is_sent_and_counted() -> None:
    sent = at_100(S.PENDING).attempted(150.0, None)
    assert (sent.status, sent.attempts, sent.error, sent.updated_at) == (S.SENT, 1, None, 150.0)


def test_a_failed_attempt_stays_pending_with_its_reason() -> None:
    retried = at_100(S.PENDING).attempted(150.0, "timed out")
    assert (retried.status, retried.attempts, retried.error) == (S.PENDING, 1, "timed out")


def test_public_shape_has_rfc3339_utc_times() -> None:
    shown = at_100(S.PENDING).public()
    assert shown["created_at"] == "1970-01-01T00:01:40.000Z"
    assert set(shown) >= {
        "id",
        "recipient",
        "channel",
        "subject",
        "body",
        "status",
        "created_at",
        "updated_at",
        "attempts",
        "metadata",
    }


def test_a_cursor_round_trips_exactly() -> None:
    cursor = PageCursor(1_800_000_000.123456, "abc-_DEF")
    assert PageCursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("garbage", ["", "!!!", "bm90LWEtY3Vyc29y", "MTIz"])
def test_a_forged_cursor_is_a_validation_error(garbage: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PageCursor.decode(garbage)
    assert caught.value.errors[0].field == "cursor"
