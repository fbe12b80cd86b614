"""Login: a token pair for the right password, one indistinguishable error otherwise."""

import pytest

from adapters.passwords import Argon2PasswordHasher
from domain.errors import InvalidCredentialsError
from domain.events import AuthEventType
from domain.tokens import TokenType
from domain.users import Role, User, UserSource
from tests.fakes import scrypt_hash
from tests.support.auth_world import (
    ACCESS_TTL,
    ADMIN_PASSWORD,
    ALICE_PASSWORD,
    CLIENT,
    REFRESH_TTL,
    seeded_world,
)


@pytest.mark.anyio
async def test_login_issues_an_access_and_a_refresh_token_of_one_family() -> None:
    world = await seeded_world()

    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)

    access, refresh = world.claims(pair.access_token), world.claims(pair.refresh_token)
    assert (access.type, refresh.type) == (TokenType.ACCESS, TokenType.REFRESH)
    assert access.sub == refresh.sub == "alice"
    assert access.fam == refresh.fam
    assert access.jti != refresh.jti
    assert access.exp == int(access.iat) + ACCESS_TTL
    assert refresh.exp == int(refresh.iat) + REFRESH_TTL
    assert (pair.expires_in, pair.refresh_expires_in) == (ACCESS_TTL, REFRESH_TTL)


@pytest.mark.anyio
async def test_login_puts_the_users_roles_in_both_tokens() -> None:
    world = await seeded_world()

    pair = await world.login("admin", ADMIN_PASSWORD, CLIENT)

    assert world.claims(pair.access_token).roles == frozenset({Role.ADMIN})
    assert world.claims(pair.refresh_token).roles == frozenset({Role.ADMIN})


@pytest.mark.anyio
async def test_login_records_a_login_succeeded_event_with_the_client() -> None:
    world = await seeded_world()

    await world.login("alice", ALICE_PASSWORD, CLIENT)

    [event] = (await world.event_log.page(10)).items
    assert (event.type, event.username, event.client) == (
        AuthEventType.LOGIN_SUCCEEDED,
        "alice",
        CLIENT,
    )
    assert event.at == world.clock.now()


@pytest.mark.anyio
async def test_wrong_password_and_unknown_user_fail_with_the_same_error() -> None:
    world = await seeded_world()

    with pytest.raises(InvalidCredentialsError) as wrong_password:
        await world.login("alice", "not-her-password", CLIENT)
    with pytest.raises(InvalidCredentialsError) as unknown_user:
        await world.login("mallory", ALICE_PASSWORD, CLIENT)

    assert str(wrong_password.value) == str(unknown_user.value)


@pytest.mark.anyio
async def test_failed_logins_are_recorded_as_login_failed_for_known_and_unknown_users() -> None:
    world = await seeded_world()

    for username in ("alice", "mallory"):
        with pytest.raises(InvalidCredentialsError):
            await world.login(username, "wrong-password", CLIENT)

    events = (await world.event_log.page(10)).items
    assert [(e.type, e.username) for e in events] == [
        (AuthEventType.LOGIN_FAILED, "mallory"),
        (AuthEventType.LOGIN_FAILED, "alice"),
    ]


@pytest.mark.anyio
async def test_an_invalid_username_is_refused_like_an_unknown_one() -> None:
    world = await seeded_world()

    with pytest.raises(InvalidCredentialsError):
        await world.login("not a valid name!" * 10, ALICE_PASSWORD, CLIENT)

    [event] = (await world.event_log.page(10)).items
    assert event.type is AuthEventType.LOGIN_FAILED
    assert len(event.username) <= 64


@pytest.mark.anyio
async def test_a_scrypt_hash_of_0_1_logs_in_and_is_replaced_by_argon2id_at_that_login() -> None:
    world = await seeded_world()
    await world.users.put(User("carol", scrypt_hash("carol-password"), frozenset()))

    await world.login("carol", "carol-password", CLIENT)

    stored = await world.users.get("carol")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert not world.hasher.needs_rehash(stored.password_hash)
    await world.login("carol", "carol-password", CLIENT)  # the new hash verifies


@pytest.mark.anyio
async def test_a_hash_of_a_lower_cost_is_replaced_and_a_wrong_password_changes_nothing() -> None:
    world = await seeded_world()
    cheap = Argon2PasswordHasher(memory_kib=64, time_cost=1).hash_sync("carol-password")
    await world.users.put(User("carol", cheap, frozenset()))

    with pytest.raises(InvalidCredentialsError):
        await world.login("carol", "wrong-password", CLIENT)
    unchanged = await world.users.get("carol")
    await world.login("carol", "carol-password", CLIENT)
    upgraded = await world.users.get("carol")

    assert unchanged is not None and unchanged.password_hash == cheap
    assert upgraded is not None and upgraded.password_hash != cheap
    assert not world.hasher.needs_rehash(upgraded.password_hash)


@pytest.mark.anyio
async def test_a_configured_users_hash_is_left_to_its_file() -> None:
    world = await seeded_world()
    legacy = scrypt_hash("carol-password")
    await world.users.put(User("carol", legacy, frozenset(), source=UserSource.FILE))

    await world.login("carol", "carol-password", CLIENT)

    stored = await world.users.get("carol")
    assert stored is not None and stored.password_hash == legacy
