"""A username deleted and created again starts with an empty inbox, whichever store answers
(memory, Redis, failover; one server and cluster): the stores keep notifications by
username and round-trip both creation times exactly, which is all the rule needs."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.failover.auth import FailoverUserDirectory
from adapters.failover.core import Failover
from adapters.memory.auth import MemoryUserDirectory
from adapters.redis.auth import RedisUserDirectory
from adapters.system import SystemClock
from application.notifications.read import GetNotification, ListNotifications
from domain.errors import NotFoundError
from domain.users import User
from tests.contract.backends import Backend
from tests.contract.notification_data import NOW, adapter_for, notification
from tests.support.notification_world import caller

pytestmark = pytest.mark.anyio


@pytest.fixture
def stores(backend: Backend) -> tuple[Any, Any]:
    clock = SystemClock()
    users = backend.pick(
        memory=lambda: MemoryUserDirectory(clock),
        redis=RedisUserDirectory,
        failover=lambda link: FailoverUserDirectory(
            RedisUserDirectory(link.client), MemoryUserDirectory(clock), Failover(link, "users")
        ),
    )
    return users, adapter_for(backend)


async def test_a_recreated_username_sees_none_of_the_former_users_notifications(
    stores: tuple[Any, Any],
) -> None:
    users, repository = stores
    await users.add(User("alice", "h", frozenset(), created_at=NOW))
    for i in range(3):
        await repository.add(notification(f"old{i}", at=NOW + 0.001 * (i + 1)))
    await users.remove("alice")
    await repository.add(notification("between", at=NOW + 0.01))  # nobody held the name
    await users.add(User("alice", "h", frozenset(), created_at=NOW + 0.02))
    await repository.add(notification("new", at=NOW + 0.03))
    alice = caller("alice")

    page = await ListNotifications(repository, users)(alice, limit=10)
    first = await ListNotifications(repository, users)(alice, limit=1)

    assert [n.id for n in page.items] == ["new"]
    assert page.next_cursor is None
    assert [n.id for n in first.items] == ["new"]
    if first.next_cursor is not None:  # the store had more: all of them the former user's
        rest = await ListNotifications(repository, users)(
            alice, limit=10, cursor=first.next_cursor.encode()
        )
        assert (rest.items, rest.next_cursor) == ((), None)
    for former in ("old0", "old2", "between"):
        with pytest.raises(NotFoundError):
            await GetNotification(repository, users)(alice, former)
    assert (await GetNotification(repository, users)(alice, "new")).id == "new"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.booleans(), min_size=1, max_size=12), st.integers(1, 5))
async def test_every_page_of_a_recreated_user_holds_only_its_own(
    stores: tuple[Any, Any], before: list[bool], limit: int
) -> None:
    """Any mix of the former user's and the new one's notifications, any page size."""
    users, repository = stores
    tag = f"u{abs(hash((tuple(before), limit))) % 10**9}"
    created = NOW + 1
    await users.put(User(tag, "h", frozenset(), created_at=created))
    expected = set()
    for i, former in enumerate(before):
        at = created - 0.5 + 0.001 * i if former else created + 0.001 * (i + 1)
        await repository.add(notification(f"{tag}-{i}", recipient=tag, at=at))
        if not former:
            expected.add(f"{tag}-{i}")
    seen: list[str] = []
    cursor = None
    for _ in range(len(before) + 2):
        page = await ListNotifications(repository, users)(
            caller(tag), limit=limit, cursor=cursor.encode() if cursor else None
        )
        seen += [n.id for n in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
