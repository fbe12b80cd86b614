"""The auth ports' contract, run against the memory, Redis and failover adapters."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.failover.auth import (
    FailoverAuthEventLog,
    FailoverRefreshTokenStore,
    FailoverUserDirectory,
)
from adapters.failover.core import Failover
from adapters.failover.revocations import ReplicatedRevocationList
from adapters.memory.auth import (
    MemoryAuthEventLog,
    MemoryRefreshTokenStore,
    MemoryRevocationList,
    MemoryUserDirectory,
)
from adapters.redis.auth import (
    RedisRefreshTokenStore,
    RedisRevocationList,
    RedisUserDirectory,
)
from adapters.redis.events import RedisAuthEventLog
from adapters.system import SystemClock
from domain.errors import ConflictError
from domain.events import AuthEvent, AuthEventType
from domain.tokens import Revocation, RevocationKind, Rotation
from domain.users import Role, User, UserSource
from tests.contract.backends import Backend
from tests.fakes import token_claims

pytestmark = pytest.mark.anyio


async def _noop_reuse(user: str, family: str) -> None:
    return None


async def _noop_revoke(families: list[str]) -> None:
    return None


@pytest.fixture
def users(backend: Backend) -> Any:
    clock = SystemClock()
    return backend.pick(
        memory=lambda: MemoryUserDirectory(clock),
        redis=RedisUserDirectory,
        failover=lambda link: FailoverUserDirectory(
            RedisUserDirectory(link.client), MemoryUserDirectory(clock), Failover(link, "users")
        ),
    )


@pytest.fixture
def refresh_tokens(backend: Backend) -> Any:
    # Redis expires keys on its own clock, so TTL behaviour is shown with real time.
    clock = SystemClock()
    return backend.pick(
        memory=lambda: MemoryRefreshTokenStore(clock),
        redis=RedisRefreshTokenStore,
        failover=lambda link: FailoverRefreshTokenStore(
            RedisRefreshTokenStore(link.client),
            MemoryRefreshTokenStore(clock),
            Failover(link, "tokens", journal=link.journal),
            _noop_reuse,
            _noop_revoke,
        ),
    )


@pytest.fixture
async def revocations(backend: Backend) -> AsyncIterator[Any]:
    clock = SystemClock()
    adapter = backend.pick(
        memory=lambda: MemoryRevocationList(clock),
        redis=RedisRevocationList,
        failover=lambda link: ReplicatedRevocationList(
            RedisRevocationList(link.client),
            MemoryRevocationList(clock),
            Failover(link, "tokens", journal=link.journal),
            link,
        ),
    )
    if isinstance(adapter, ReplicatedRevocationList):
        await adapter.resync()
    yield adapter
    if isinstance(adapter, ReplicatedRevocationList):
        await adapter.stop()


@pytest.fixture
def event_log(backend: Backend) -> Any:
    return backend.pick(
        memory=MemoryAuthEventLog,
        redis=RedisAuthEventLog,
        failover=lambda link: FailoverAuthEventLog(
            RedisAuthEventLog(link.client),
            MemoryAuthEventLog(),
            Failover(link, "events", journal=link.journal),
        ),
    )


ALICE = User("alice", "scrypt$1$1$1$c2FsdA==$aGFzaA==", frozenset({Role.SERVICE}))


async def test_a_user_added_can_be_read_back(users: Any) -> None:
    await users.add(ALICE)
    assert await users.get("alice") == ALICE
    assert await users.get("bob") is None


async def test_adding_a_taken_username_is_a_conflict(users: Any) -> None:
    await users.add(ALICE)
    with pytest.raises(ConflictError):
        await users.add(User("alice", "other", frozenset()))
    assert (await users.get("alice")).password_hash == ALICE.password_hash


async def test_put_replaces_a_user(users: Any) -> None:
    await users.add(ALICE)
    await users.put(User("alice", "new-hash", frozenset({Role.ADMIN})))
    stored = await users.get("alice")
    assert stored.password_hash == "new-hash" and stored.roles == {Role.ADMIN}


async def test_a_user_round_trips_disabled_and_source(users: Any) -> None:
    configured = User("carol", "h", frozenset(), disabled=True, source=UserSource.FILE)
    await users.put(configured)
    assert await users.get("carol") == configured


async def test_configured_names_are_the_users_configuration_defined(users: Any) -> None:
    await users.add(ALICE)
    await users.put(User("carol", "h", frozenset(), source=UserSource.FILE))
    await users.put(User("dave", "h", frozenset(), source=UserSource.FILE))
    assert await users.configured_names() == {"carol", "dave"}
    await users.put(User("dave", "h", frozenset()))  # now owned by the API
    assert await users.configured_names() == {"carol"}


async def test_a_removed_user_is_gone(users: Any) -> None:
    await users.put(User("carol", "h", frozenset(), source=UserSource.FILE))
    await users.remove("carol")
    await users.remove("never-was")
    assert await users.get("carol") is None
    assert await users.configured_names() == set()


async def test_end_all_ends_every_live_family_of_the_user_and_no_other(
    refresh_tokens: Any,
) -> None:
    await refresh_tokens.start("alice", "fa1", "r1", 60)
    await refresh_tokens.start("alice", "fa2", "r2", 60)
    await refresh_tokens.rotate("alice", "fa2", "r2", "r3", 60)
    await refresh_tokens.start("bob", "fb1", "s1", 60)

    assert await refresh_tokens.end_all("alice") == ["fa1", "fa2"]

    assert await refresh_tokens.rotate("alice", "fa1", "r1", "x", 60) is Rotation.UNKNOWN
    assert await refresh_tokens.rotate("alice", "fa2", "r3", "x", 60) is Rotation.UNKNOWN
    assert await refresh_tokens.rotate("bob", "fb1", "s1", "s2", 60) is Rotation.ROTATED
    assert await refresh_tokens.end_all("alice") == []


async def test_an_ended_family_is_unknown_and_left_out_of_end_all(refresh_tokens: Any) -> None:
    await refresh_tokens.start("alice", "fa1", "r1", 60)
    await refresh_tokens.start("alice", "fa2", "r2", 60)

    await refresh_tokens.end("alice", "fa1")

    assert await refresh_tokens.rotate("alice", "fa1", "r1", "x", 60) is Rotation.UNKNOWN
    assert await refresh_tokens.end_all("alice") == ["fa2"]


async def test_end_all_leaves_out_expired_families(refresh_tokens: Any) -> None:
    await refresh_tokens.start("alice", "short", "r1", 1)
    await refresh_tokens.start("alice", "long", "r2", 60)
    await asyncio.sleep(1.2)
    assert await refresh_tokens.end_all("alice") == ["long"]


async def test_rotation_accepts_the_current_token_once(refresh_tokens: Any) -> None:
    await refresh_tokens.start("alice", "fam1", "r1", 60)
    assert await refresh_tokens.rotate("alice", "fam1", "r1", "r2", 60) is Rotation.ROTATED
    assert await refresh_tokens.rotate("alice", "fam1", "r1", "r3", 60) is Rotation.REUSED
    assert await refresh_tokens.rotate("alice", "fam1", "r2", "r3", 60) is Rotation.ROTATED


async def test_rotation_of_an_unknown_family_is_unknown(refresh_tokens: Any) -> None:
    assert await refresh_tokens.rotate("alice", "nope", "r1", "r2", 60) is Rotation.UNKNOWN


async def test_concurrent_rotations_of_one_token_have_one_winner(refresh_tokens: Any) -> None:
    await refresh_tokens.start("alice", "fam", "r1", 60)
    outcomes = await asyncio.gather(
        *(refresh_tokens.rotate("alice", "fam", "r1", f"next{i}", 60) for i in range(20))
    )
    assert outcomes.count(Rotation.ROTATED) == 1
    assert outcomes.count(Rotation.REUSED) == 19


async def test_a_family_is_forgotten_after_its_ttl(refresh_tokens: Any) -> None:
    await refresh_tokens.start("alice", "short", "r1", 1)
    await asyncio.sleep(1.2)
    assert await refresh_tokens.rotate("alice", "short", "r1", "r2", 1) is Rotation.UNKNOWN


async def test_revoked_token_and_family_are_revoked(revocations: Any) -> None:
    now = int(SystemClock().now())
    await revocations.revoke(Revocation(RevocationKind.TOKEN, "jti1", now + 60))
    await revocations.revoke(Revocation(RevocationKind.FAMILY, "famA", now + 60))
    assert await revocations.is_revoked(token_claims("jti1", "other-family"))
    assert await revocations.is_revoked(token_claims("other-jti", "famA"))
    assert not await revocations.is_revoked(token_claims("jti2", "famB"))


async def test_a_revocation_ends_when_its_token_would_expire(revocations: Any) -> None:
    now = int(SystemClock().now())
    await revocations.revoke(Revocation(RevocationKind.TOKEN, "brief", now + 1))
    assert await revocations.is_revoked(token_claims("brief", "f"))
    await asyncio.sleep(2.1)
    assert not await revocations.is_revoked(token_claims("brief", "f"))


async def test_a_user_cutoff_revokes_that_users_tokens_issued_before_it_only(
    revocations: Any,
) -> None:
    now = SystemClock().now()
    await revocations.revoke(
        Revocation(RevocationKind.USER, "alice", int(now) + 60, now, spared="kept")
    )
    assert await revocations.is_revoked(token_claims("j1", "f1", sub="alice", iat=now - 0.001))
    assert await revocations.is_revoked(token_claims("j0", "f0", sub="alice", iat=now))
    assert not await revocations.is_revoked(token_claims("j2", "f2", sub="alice", iat=now + 0.001))
    assert not await revocations.is_revoked(token_claims("j3", "f3", sub="bob", iat=now - 1))
    assert not await revocations.is_revoked(token_claims("kept", "f1", sub="alice", iat=now - 1))


async def test_users_are_paged_in_username_order(users: Any) -> None:
    for name in ("pg-dave", "pg-bob", "pg-carol", "pg-erin", "pg-alice"):
        await users.add(User(name, "scrypt$h", frozenset(), created_at=1_800_000_000.5))
    names, cursor = [], "pf"  # start just before the names of this test
    while True:
        page = await users.page(2, cursor)
        names += [u.username for u in page.items if u.username.startswith("pg-")]
        cursor = page.next_cursor
        if cursor is None or not cursor.startswith("pg-"):
            break
    assert names == ["pg-alice", "pg-bob", "pg-carol", "pg-dave", "pg-erin"]
    assert (await users.get("pg-bob")).created_at == 1_800_000_000.5


async def test_a_removed_user_is_no_longer_listed(users: Any) -> None:
    await users.add(User("pr-gone", "scrypt$h", frozenset()))
    await users.remove("pr-gone")
    page = await users.page(10, "pr-")
    assert "pr-gone" not in [u.username for u in page.items]


async def test_the_later_of_two_cutoffs_wins_whatever_order_they_arrive_in(
    revocations: Any,
) -> None:
    now = SystemClock().now()
    later = Revocation(RevocationKind.USER, "alice", int(now) + 60, now, spared="kept")
    earlier = Revocation(RevocationKind.USER, "alice", int(now) + 90, now - 10)
    await revocations.revoke(later)
    await revocations.revoke(earlier)  # e.g. replayed from a journal after the later one
    assert await revocations.is_revoked(token_claims("j1", "f1", sub="alice", iat=now - 5))
    assert not await revocations.is_revoked(token_claims("kept", "f", sub="alice", iat=now - 5))


def _event(i: int) -> AuthEvent:
    return AuthEvent(f"ev{i}", AuthEventType.LOGIN_SUCCEEDED, f"user{i}", 1_800_000_000.0 + i, "c")


async def test_events_come_back_newest_first_within_the_limit(event_log: Any) -> None:
    for i in range(5):
        await event_log.record(_event(i))
    recent = (await event_log.page(3)).items
    assert [e.username for e in recent] == ["user4", "user3", "user2"]
    assert recent[0] == _event(4)


async def test_recording_the_same_event_twice_keeps_one(event_log: Any) -> None:
    await event_log.record(_event(1))
    await event_log.record(_event(1))
    assert [e.id for e in (await event_log.page(10)).items] == ["ev1"]
