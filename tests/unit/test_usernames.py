"""Usernames that differ only by case or Unicode compatibility are one username: created
once, found and logged in under any spelling, always stored and named in its one form."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ConflictError
from domain.users import canonical_username, username_problem
from entrypoints.config_checks import users_file
from entrypoints.settings import ConfigError
from tests.fakes import fast_hasher
from tests.support.auth_world import CLIENT, seeded_world

canonical = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=64)


def _full_width(c: str) -> str:
    return chr(ord(c) + 0xFEE0)  # U+FF01..U+FF5E mirror ASCII ! .. ~


@st.composite
def spelling(draw: st.DrawFn, name: str) -> str:
    """The name with each character in any case, half or full width."""
    return "".join(
        draw(st.sampled_from([c, c.upper(), _full_width(c), _full_width(c.upper())])) for c in name
    )


@settings(max_examples=200)
@given(st.data(), canonical)
def test_every_spelling_of_a_name_has_the_one_canonical_form(
    data: st.DataObject, name: str
) -> None:
    variant = data.draw(spelling(name))

    assert canonical_username(variant) == name
    assert username_problem(variant) is None


@pytest.mark.parametrize(
    "name", ["bad name", "a/b", "", "x" * 65, "\u00c5" * 3, "alice\n", "\ufb03", "\U0001d41a"]
)
def test_a_name_whose_canonical_form_is_not_a_username_is_refused(name: str) -> None:
    assert canonical_username(name) is None
    assert username_problem(name) is not None


@settings(max_examples=25, deadline=None)
@given(st.data(), canonical.filter(lambda n: n not in ("admin", "alice")))
@pytest.mark.anyio
async def test_one_user_whatever_the_spelling_it_is_created_found_and_logged_in_by(
    data: st.DataObject, name: str
) -> None:
    world = await seeded_world()
    admin = await world.admin()
    first, second, third = (data.draw(spelling(name)) for _ in range(3))

    created = await world.create_user(admin, first, "pass-word-1", [], CLIENT)
    with pytest.raises(ConflictError):
        await world.create_user(admin, second, "pass-word-2", [], CLIENT)
    pair = await world.login(third, "pass-word-1", CLIENT)

    assert created.username == name
    assert world.claims(pair.access_token).sub == name
    assert [u.username for u in (await world.users.page(10, None)).items].count(name) == 1


@pytest.mark.anyio
async def test_the_admin_is_one_user_as_admin_capitalised_and_full_width() -> None:
    world = await seeded_world()
    admin = await world.admin()

    for taken in ("Admin", "ADMIN", "\uff21\uff44\uff4d\uff49\uff4e"):
        with pytest.raises(ConflictError):
            await world.create_user(admin, taken, "pass-word-1", [], CLIENT)
    pair = await world.login("\uff21\uff44\uff4d\uff49\uff4e", "admin-password", CLIENT)
    assert world.claims(pair.access_token).sub == "admin"


def test_a_users_file_stores_the_canonical_name_and_refuses_two_spellings_of_one(
    tmp_path: Path,
) -> None:
    hashed = fast_hasher().hash_sync("carol-password")
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"users": [{"username": "Carol", "password_hash": hashed}]}))
    assert [u.username for u in users_file(str(path))] == ["carol"]

    both = [{"username": n, "password_hash": hashed} for n in ("carol", "\uff23arol")]
    path.write_text(json.dumps({"users": both}))
    with pytest.raises(ConfigError) as error:
        users_file(str(path))
    assert "users[1].username" in str(error.value)
