"""The users file is authoritative over HTTP with a real Redis: a user it drops is removed at
the next start with every session; a role it takes away is gone at the next refresh."""

import asyncio
from typing import Any

import jwt
import pytest

from adapters.redis import keys
from domain.users import Role, User, UserSource
from entrypoints.settings import RedisSettings, Storage
from tests.fakes import fast_hasher
from tests.redis_fixtures import client_for
from tests.redis_server import RedisServer
from tests.support.apps import assert_problem, bearer, create_user, login, running_app

pytestmark = pytest.mark.redis


def on_redis(server: RedisServer, users: tuple[User, ...]) -> dict[str, Any]:
    return {
        "redis": RedisSettings(server.url, connect_timeout=0.25, command_timeout=0.25),
        "storage": Storage.REDIS,
        "users": users,
    }


def carol(*roles: Role) -> User:
    return User(
        "carol", fast_hasher().hash_sync("carol-password"), frozenset(roles), source=UserSource.FILE
    )


def test_a_user_dropped_from_the_file_is_removed_at_start_with_every_session(
    empty_redis: RedisServer,
) -> None:
    with running_app(**on_redis(empty_redis, (carol(Role.ADMIN),))) as first:
        sessions = [login(first, "carol", "carol-password") for _ in range(2)]
        admin = login(first)["access_token"]
        create_user(first, admin, "dave", "dave-password", [])

    with running_app(**on_redis(empty_redis, ())) as second:
        for tokens in sessions:
            assert_problem(second.get("/api/auth/me", headers=bearer(tokens["access_token"])), 401)
            refused = second.post(
                "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
            )
            assert_problem(refused, 401)
        refused = second.post(
            "/api/auth/login", json={"username": "carol", "password": "carol-password"}
        )
        assert_problem(refused, 401)
        login(second, "dave", "dave-password")  # created through the API: untouched


def test_a_role_taken_away_by_the_file_is_gone_at_the_next_refresh(
    empty_redis: RedisServer,
) -> None:
    with running_app(**on_redis(empty_redis, (carol(Role.ADMIN),))) as first:
        tokens = login(first, "carol", "carol-password")

    with running_app(**on_redis(empty_redis, (carol(),))) as second:
        renewed = second.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert renewed.status_code == 200, renewed.text
        me = second.get("/api/auth/me", headers=bearer(renewed.json()["access_token"]))
        assert me.json() == {"username": "carol", "roles": []}
        events = second.get("/api/auth/events", headers=bearer(renewed.json()["access_token"]))
        assert_problem(events, 403)


def test_logout_ends_the_family_in_redis_not_only_revokes_it(empty_redis: RedisServer) -> None:
    with running_app(**on_redis(empty_redis, ())) as client:
        tokens = login(client)
        family = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})["fam"]

        async def stored() -> tuple[int, list[str]]:
            redis: Any = client_for(empty_redis.url, timeout=2.0)
            try:
                exists = await redis.exists(keys.family(family))
                indexed = await redis.zrange(keys.user_families("admin"), 0, -1)
            finally:
                await redis.aclose()
            return exists, indexed

        assert asyncio.run(stored()) == (1, [family])
        response = client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))
        assert response.status_code == 204
        assert asyncio.run(stored()) == (0, [])
