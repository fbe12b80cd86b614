"""Logout revokes the caller's token and family; admins revoke any token."""

import pytest

from adapters.memory.auth import MemoryRevocationList
from domain.errors import ForbiddenError, InvalidTokenError, UnknownTokenError
from domain.events import AuthEventType
from domain.tokens import Revocation, RevocationKind, Rotation, TokenType
from tests.fakes import FakeClock, token_claims
from tests.support.auth_world import (
    ACCESS_TTL,
    ALICE_PASSWORD,
    CLIENT,
    REFRESH_TTL,
    seeded_world,
)


@pytest.mark.anyio
async def test_logout_revokes_the_access_token_and_its_refresh_family() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    caller = await world.verify(pair.access_token)

    await world.logout(caller, CLIENT)

    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.verify(pair.access_token)
    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.refresh(pair.refresh_token, CLIENT)


@pytest.mark.anyio
async def test_logout_records_a_logout_event() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)

    await world.logout(await world.verify(pair.access_token), "192.0.2.9")

    newest = (await world.event_log.page(1)).items[0]
    assert (newest.type, newest.username, newest.client) == (
        AuthEventType.LOGOUT,
        "alice",
        "192.0.2.9",
    )


@pytest.mark.anyio
async def test_logout_with_a_refresh_token_of_another_family_revokes_that_family_too() -> None:
    world = await seeded_world()
    session = await world.login("alice", ALICE_PASSWORD, CLIENT)
    other = await world.login("alice", ALICE_PASSWORD, CLIENT)

    await world.logout(await world.verify(session.access_token), CLIENT, other.refresh_token)

    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.refresh(other.refresh_token, CLIENT)
    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.verify(other.access_token)


@pytest.mark.anyio
async def test_logout_ignores_a_refresh_token_of_another_user() -> None:
    world = await seeded_world()
    alice = await world.login("alice", ALICE_PASSWORD, CLIENT)
    admin = await world.login("admin", "admin-password", CLIENT)

    await world.logout(await world.verify(alice.access_token), CLIENT, admin.refresh_token)

    assert (await world.verify(admin.access_token)).sub == "admin"
    assert (await world.refresh(admin.refresh_token, CLIENT)).access_token


@pytest.mark.anyio
async def test_logout_ignores_an_unreadable_refresh_token() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)

    await world.logout(await world.verify(pair.access_token), CLIENT, "not-a-token")

    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.verify(pair.access_token)


@pytest.mark.anyio
async def test_logout_leaves_the_users_other_sessions_alone() -> None:
    world = await seeded_world()
    session = await world.login("alice", ALICE_PASSWORD, CLIENT)
    other = await world.login("alice", ALICE_PASSWORD, CLIENT)

    await world.logout(await world.verify(session.access_token), CLIENT)

    assert (await world.verify(other.access_token)).sub == "alice"


@pytest.mark.anyio
async def test_a_logged_out_family_stays_revoked_as_long_as_its_refresh_tokens_live() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    world.clock.advance(ACCESS_TTL - 1)
    renewed = await world.refresh(pair.refresh_token, CLIENT)

    await world.logout(await world.verify(renewed.access_token), CLIENT)

    world.clock.advance(REFRESH_TTL - 1)
    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.refresh(renewed.refresh_token, CLIENT)


@pytest.mark.anyio
async def test_an_admin_revokes_another_users_access_token() -> None:
    world = await seeded_world()
    alice = await world.login("alice", ALICE_PASSWORD, CLIENT)

    await world.revoke(await world.admin(), alice.access_token, CLIENT)

    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.verify(alice.access_token)
    newest = (await world.event_log.page(1)).items[0]
    assert (newest.type, newest.username) == (AuthEventType.TOKEN_REVOKED, "alice")


@pytest.mark.anyio
async def test_an_admin_revokes_a_refresh_token_which_then_cannot_refresh() -> None:
    world = await seeded_world()
    alice = await world.login("alice", ALICE_PASSWORD, CLIENT)

    await world.revoke(await world.admin(), alice.refresh_token, CLIENT)

    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.refresh(alice.refresh_token, CLIENT)


@pytest.mark.anyio
async def test_an_admin_revocation_expires_when_the_revoked_token_would() -> None:
    world = await seeded_world()
    alice = await world.login("alice", ALICE_PASSWORD, CLIENT)
    target = world.claims(alice.access_token)

    await world.revoke(await world.admin(), alice.access_token, CLIENT)

    [revocation] = world.revocations.live()
    assert (revocation.id, revocation.expires_at) == (target.jti, target.exp)
    world.clock.advance(ACCESS_TTL)
    assert world.revocations.live() == []


@pytest.mark.anyio
async def test_a_non_admin_may_not_revoke_tokens() -> None:
    world = await seeded_world()
    alice = await world.login("alice", ALICE_PASSWORD, CLIENT)
    caller = await world.verify(alice.access_token)

    with pytest.raises(ForbiddenError, match="admin"):
        await world.revoke(caller, alice.access_token, CLIENT)

    assert world.revocations.live() == []


@pytest.mark.anyio
async def test_revoking_something_that_is_not_a_live_token_finds_nothing_to_revoke() -> None:
    world = await seeded_world()

    with pytest.raises(UnknownTokenError) as error:
        await world.revoke(await world.admin(), "garbage", CLIENT)

    assert error.value.reason
    assert world.revocations.live() == []


@pytest.mark.anyio
async def test_admin_claims_come_from_a_verified_access_token() -> None:
    world = await seeded_world()

    admin = await world.admin()

    assert admin.type is TokenType.ACCESS
    assert admin.sub == "admin"


@pytest.mark.anyio
async def test_logout_ends_the_family_in_the_refresh_token_store() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    claims = world.claims(pair.refresh_token)

    await world.logout(await world.verify(pair.access_token), CLIENT)

    # Not only revoked: the store no longer holds the family at all.
    assert await world.refresh_tokens.end_all("alice") == []
    outcome = await world.refresh_tokens.rotate("alice", claims.fam, claims.jti, "next", 60)
    assert outcome is Rotation.UNKNOWN


@pytest.mark.anyio
async def test_a_revocation_is_never_dropped_before_it_expires_however_many_follow() -> None:
    clock = FakeClock()
    revocations = MemoryRevocationList(clock, max_entries=100)
    now = int(clock.now())
    await revocations.revoke(Revocation(RevocationKind.FAMILY, "logged-out", now + 3600))
    for i in range(1_000):  # ten times the bound, each later than the first
        clock.advance(1)
        await revocations.revoke(Revocation(RevocationKind.TOKEN, f"t{i}", now + 7200))

    assert await revocations.is_revoked(token_claims("any-jti", "logged-out"))
    assert revocations.over_bound and len(revocations) == 1_001
    clock.advance(7200)
    for i in range(20):  # writes sweep what expired
        await revocations.revoke(Revocation(RevocationKind.TOKEN, f"l{i}", int(clock.now()) + 60))
    assert not await revocations.is_revoked(token_claims("any-jti", "logged-out"))
    assert not revocations.over_bound
