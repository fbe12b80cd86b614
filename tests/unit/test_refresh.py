"""Refresh with rotation and reuse detection."""

import attrs
import pytest

from domain.errors import InvalidCredentialsError, InvalidTokenError
from domain.events import AuthEventType
from domain.tokens import TokenType
from domain.users import Role
from tests.support.auth_world import ALICE_PASSWORD, CLIENT, REFRESH_TTL, seeded_world


@pytest.mark.anyio
async def test_refresh_returns_a_new_pair_in_the_same_family() -> None:
    world = await seeded_world()
    first = await world.login("alice", ALICE_PASSWORD, CLIENT)

    second = await world.refresh(first.refresh_token, CLIENT)

    old, new = world.claims(first.refresh_token), world.claims(second.refresh_token)
    assert new.fam == old.fam
    assert new.jti != old.jti
    assert world.claims(second.access_token).fam == old.fam
    assert (await world.verify(second.access_token)).sub == "alice"


@pytest.mark.anyio
async def test_the_successor_refresh_token_can_be_refreshed_again() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)

    for _ in range(3):
        pair = await world.refresh(pair.refresh_token, CLIENT)

    assert world.claims(pair.refresh_token).sub == "alice"


@pytest.mark.anyio
async def test_refresh_records_a_token_refreshed_event() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)

    await world.refresh(pair.refresh_token, "198.51.100.1")

    newest = (await world.event_log.page(1)).items[0]
    assert (newest.type, newest.username, newest.client) == (
        AuthEventType.TOKEN_REFRESHED,
        "alice",
        "198.51.100.1",
    )


@pytest.mark.anyio
async def test_a_used_refresh_token_presented_again_is_refused() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    await world.refresh(pair.refresh_token, CLIENT)

    with pytest.raises(InvalidTokenError):
        await world.refresh(pair.refresh_token, CLIENT)


@pytest.mark.anyio
async def test_reuse_revokes_every_token_of_the_family_access_tokens_included() -> None:
    world = await seeded_world()
    first = await world.login("alice", ALICE_PASSWORD, CLIENT)
    second = await world.refresh(first.refresh_token, CLIENT)

    with pytest.raises(InvalidTokenError):
        await world.refresh(first.refresh_token, CLIENT)

    for token in (first.access_token, second.access_token):
        with pytest.raises(InvalidTokenError, match="revoked"):
            await world.verify(token)
    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.refresh(second.refresh_token, CLIENT)


@pytest.mark.anyio
async def test_reuse_is_recorded_as_refresh_reuse_detected() -> None:
    world = await seeded_world()
    first = await world.login("alice", ALICE_PASSWORD, CLIENT)
    await world.refresh(first.refresh_token, CLIENT)

    with pytest.raises(InvalidTokenError):
        await world.refresh(first.refresh_token, CLIENT)

    newest = (await world.event_log.page(1)).items[0]
    assert (newest.type, newest.username) == (AuthEventType.REFRESH_REUSE_DETECTED, "alice")


@pytest.mark.anyio
async def test_a_reuse_found_on_replay_revokes_the_family_and_is_recorded() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    family = world.claims(pair.refresh_token).fam

    await world.refresh.reuse.found_on_replay("alice", family)

    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.verify(pair.access_token)
    newest = (await world.event_log.page(1)).items[0]
    assert (newest.type, newest.username, newest.client) == (
        AuthEventType.REFRESH_REUSE_DETECTED,
        "alice",
        "replay",
    )


@pytest.mark.anyio
async def test_reuse_in_one_family_leaves_other_families_alone() -> None:
    world = await seeded_world()
    leaked = await world.login("alice", ALICE_PASSWORD, CLIENT)
    other_device = await world.login("alice", ALICE_PASSWORD, CLIENT)
    await world.refresh(leaked.refresh_token, CLIENT)

    with pytest.raises(InvalidTokenError):
        await world.refresh(leaked.refresh_token, CLIENT)

    assert (await world.verify(other_device.access_token)).sub == "alice"
    assert (await world.refresh(other_device.refresh_token, CLIENT)).access_token


@pytest.mark.anyio
async def test_an_access_token_is_refused_for_refresh_and_uses_nothing_up() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)

    with pytest.raises(InvalidTokenError, match="refresh token is required"):
        await world.refresh(pair.access_token, CLIENT)

    # The family's refresh token still works exactly once, and nothing was revoked.
    renewed = await world.refresh(pair.refresh_token, CLIENT)
    assert (await world.verify(pair.access_token)).sub == "alice"
    assert (await world.verify(renewed.access_token)).sub == "alice"


@pytest.mark.anyio
async def test_an_expired_refresh_token_is_refused_without_a_refreshed_event() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    world.clock.advance(REFRESH_TTL)

    with pytest.raises(InvalidTokenError, match="expired"):
        await world.refresh(pair.refresh_token, CLIENT)

    assert [e.type for e in (await world.event_log.page(10)).items] == [
        AuthEventType.LOGIN_SUCCEEDED
    ]


@pytest.mark.anyio
async def test_a_refresh_token_is_usable_until_just_before_it_expires() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    world.clock.advance(REFRESH_TTL - 1)

    renewed = await world.refresh(pair.refresh_token, CLIENT)

    assert world.claims(renewed.refresh_token).exp == int(world.clock.now()) + REFRESH_TTL


@pytest.mark.anyio
async def test_a_refresh_token_is_refused_where_an_access_token_is_needed() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)

    with pytest.raises(InvalidTokenError, match="access token is required"):
        await world.verify(pair.refresh_token, TokenType.ACCESS)


@pytest.mark.anyio
async def test_refresh_carries_the_users_current_roles_not_the_old_tokens() -> None:
    world = await seeded_world()
    await world.add_user("bob", "bob-password", Role.ADMIN)
    pair = await world.login("bob", "bob-password", CLIENT)
    await world.add_user("bob", "bob-password")  # demoted

    renewed = await world.refresh(pair.refresh_token, CLIENT)

    assert world.claims(renewed.access_token).roles == frozenset()
    assert world.claims(renewed.refresh_token).roles == frozenset()


@pytest.mark.anyio
@pytest.mark.parametrize("change", ["removed", "disabled"])
async def test_a_user_who_is_gone_or_disabled_cannot_refresh_and_loses_the_family(
    change: str,
) -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    if change == "removed":
        await world.users.remove("alice")
    else:
        user = await world.users.get("alice")
        assert user is not None
        await world.users.put(attrs.evolve(user, disabled=True))

    with pytest.raises(InvalidTokenError, match="no longer exists or is disabled"):
        await world.refresh(pair.refresh_token, CLIENT)

    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.verify(pair.access_token)
    assert await world.refresh_tokens.end_all("alice") == []


@pytest.mark.anyio
async def test_a_disabled_user_cannot_log_in() -> None:
    world = await seeded_world()
    user = await world.users.get("alice")
    assert user is not None
    await world.users.put(attrs.evolve(user, disabled=True))

    with pytest.raises(InvalidCredentialsError):
        await world.login("alice", ALICE_PASSWORD, CLIENT)
