"""Creating users (admin only, every field problem at once) and seeding them from config."""

import pytest

from adapters.memory.auth import MemoryUserDirectory
from application.auth.users import SeedUsers
from domain.errors import (
    ConflictError,
    ForbiddenError,
    InvalidCredentialsError,
    InvalidTokenError,
    ValidationError,
)
from domain.users import Role, User, UserSource
from tests.fakes import FakeClock
from tests.support.auth_world import ALICE_PASSWORD, CLIENT, auth_world, seeded_world


@pytest.mark.anyio
async def test_an_admin_creates_a_user_who_can_then_log_in() -> None:
    world = await seeded_world()

    user = await world.create_user(await world.admin(), "bob", "bob-password", ["service"])

    assert (user.username, user.roles) == ("bob", frozenset({Role.SERVICE}))
    pair = await world.login("bob", "bob-password", CLIENT)
    assert world.claims(pair.access_token).roles == frozenset({Role.SERVICE})


@pytest.mark.anyio
async def test_created_users_passwords_are_stored_only_as_salted_hashes() -> None:
    world = await seeded_world()
    admin = await world.admin()

    await world.create_user(admin, "bob", "same-password", [])
    await world.create_user(admin, "carol", "same-password", [])

    bob, carol = await world.users.get("bob"), await world.users.get("carol")
    assert bob is not None and carol is not None
    assert "same-password" not in bob.password_hash
    assert bob.password_hash != carol.password_hash


@pytest.mark.anyio
async def test_roles_may_be_omitted_for_a_plain_user() -> None:
    world = await seeded_world()

    user = await world.create_user(await world.admin(), "bob", "bob-password", None)

    assert user.roles == frozenset()


@pytest.mark.anyio
async def test_every_invalid_field_is_reported_at_once() -> None:
    world = await seeded_world()

    with pytest.raises(ValidationError) as error:
        await world.create_user(await world.admin(), "no spaces!", "short", ["root"])

    assert [e.field for e in error.value.errors] == ["username", "password", "roles"]
    assert await world.users.get("no spaces!") is None


@pytest.mark.parametrize(
    ("username", "password", "roles", "field"),
    [
        ("", "long-enough", [], "username"),
        ("x" * 65, "long-enough", [], "username"),
        (42, "long-enough", [], "username"),
        (None, "long-enough", [], "username"),
        ("bob", "7-chars", [], "password"),
        ("bob", "x" * 257, [], "password"),
        ("bob", 12345678, [], "password"),
        ("bob", "long-enough", "admin", "roles"),
        ("bob", "long-enough", ["admin", 1], "roles"),
        ("bob", "long-enough", ["superuser"], "roles"),
    ],
)
@pytest.mark.anyio
async def test_an_invalid_field_is_named_in_the_error(
    username: object, password: object, roles: object, field: str
) -> None:
    world = await seeded_world()

    with pytest.raises(ValidationError) as error:
        await world.create_user(await world.admin(), username, password, roles)

    assert [e.field for e in error.value.errors] == [field]


@pytest.mark.anyio
async def test_the_longest_allowed_username_and_password_are_accepted() -> None:
    world = await seeded_world()
    username = "a.b_c-" + "x" * 58

    user = await world.create_user(await world.admin(), username, "p" * 256, ["admin", "service"])

    assert user.username == username
    assert user.roles == frozenset({Role.ADMIN, Role.SERVICE})


@pytest.mark.anyio
async def test_a_taken_username_is_a_conflict() -> None:
    world = await seeded_world()

    with pytest.raises(ConflictError, match="alice"):
        await world.create_user(await world.admin(), "alice", "new-password", [])

    await world.login("alice", ALICE_PASSWORD, CLIENT)  # the old password still works


@pytest.mark.anyio
async def test_a_non_admin_may_not_create_users() -> None:
    world = await seeded_world()
    alice = await world.verify((await world.login("alice", ALICE_PASSWORD, CLIENT)).access_token)

    with pytest.raises(ForbiddenError):
        await world.create_user(alice, "bob", "bob-password", [])

    assert await world.users.get("bob") is None


@pytest.mark.anyio
async def test_a_non_admin_is_forbidden_before_the_fields_are_checked() -> None:
    world = await seeded_world()
    alice = await world.verify((await world.login("alice", ALICE_PASSWORD, CLIENT)).access_token)

    with pytest.raises(ForbiddenError):
        await world.create_user(alice, "", "", "nonsense")


@pytest.mark.anyio
async def test_seeding_creates_the_admin_with_the_admin_role() -> None:
    world = await seeded_world()

    admin = await world.users.get("admin")

    assert admin is not None and admin.roles == frozenset({Role.ADMIN})
    assert (await world.admin()).roles == frozenset({Role.ADMIN})


@pytest.mark.anyio
async def test_seeding_replaces_stored_users_because_configuration_is_authoritative() -> None:
    world = auth_world()
    await world.add_user("alice", "stored-password")
    configured = User(
        "alice",
        await world.hasher.hash("configured-pw"),
        frozenset({Role.SERVICE}),
        source=UserSource.FILE,
    )

    await world.seed("admin-password", [configured])

    assert (await world.users.get("alice")) == configured
    await world.login("alice", "configured-pw", CLIENT)
    await world.login("admin", "admin-password", CLIENT)


@pytest.mark.anyio
async def test_seeding_again_restores_the_same_users_into_a_store_that_lost_them() -> None:
    world = auth_world()
    await world.seed("admin-password", [])
    first = await world.users.get("admin")
    fresh = MemoryUserDirectory(world.clock)
    world.seed.users = fresh

    await world.seed("admin-password", [])

    assert await fresh.get("admin") == first


@pytest.mark.anyio
async def test_seeding_without_an_admin_password_creates_no_admin() -> None:
    world = auth_world()
    configured = User(
        "svc", await world.hasher.hash("service-password"), frozenset(), source=UserSource.FILE
    )

    await world.seed(None, [configured])

    assert await world.users.get("admin") is None
    assert await world.users.get("svc") == configured


@pytest.mark.anyio
async def test_a_configured_user_no_longer_listed_is_removed_and_loses_every_session() -> None:
    world = auth_world()
    hashed = await world.hasher.hash("carol-password")
    carol = User("carol", hashed, frozenset({Role.ADMIN}), source=UserSource.FILE)
    await world.seed("admin-password", [carol])
    first = await world.login("carol", "carol-password", CLIENT)
    second = await world.login("carol", "carol-password", CLIENT)
    await world.create_user(await world.admin(), "dave", "dave-password", [])
    world.seed = SeedUsers(world.users, world.hasher, world.sessions)  # a restart

    removed = await world.seed("admin-password", [])

    assert removed == ["carol"]
    assert await world.users.get("carol") is None
    assert await world.users.get("dave") is not None  # created through the API: untouched
    for pair in (first, second):
        with pytest.raises(InvalidTokenError, match="revoked"):
            await world.verify(pair.access_token)
        with pytest.raises(InvalidTokenError):
            await world.refresh(pair.refresh_token, CLIENT)
    with pytest.raises(InvalidCredentialsError):
        await world.login("carol", "carol-password", CLIENT)


@pytest.mark.anyio
async def test_a_full_directory_drops_its_oldest_users_counted_and_pages_skip_them() -> None:
    users = MemoryUserDirectory(FakeClock(), max_users=10)
    for i in range(1_000):
        await users.add(User(f"u{i:04d}", "scrypt$h", frozenset()))
    assert users.dropped == 990
    page = await users.page(100, None)
    assert [u.username for u in page.items] == [f"u{i:04d}" for i in range(990, 1_000)]
    assert page.next_cursor is None
