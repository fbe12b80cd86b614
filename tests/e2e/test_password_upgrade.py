"""A password hash of Ballast 0.1 (scrypt), as 0.1 left it in Redis, still logs in through a
real `ballast serve`, and that login replaces it with an argon2id hash."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.redis.auth import RedisUserDirectory
from domain.users import User
from tests.fakes import scrypt_hash
from tests.redis_fixtures import client_for
from tests.redis_server import RedisServer
from tests.support.servers import ADMIN_PASSWORD, serving


async def _stored_hash(url: str, put: User | None = None) -> str:
    client: Any = client_for(url, timeout=2.0)
    try:
        users = RedisUserDirectory(client)
        if put is not None:
            await users.put(put)
        user = await users.get("carol")
        assert user is not None
        return user.password_hash
    finally:
        await client.aclose()


@pytest.mark.slow
def test_a_scrypt_hash_left_in_redis_logs_in_and_is_upgraded_to_argon2id(
    tmp_path: Path, empty_redis: RedisServer
) -> None:
    legacy = User("carol", scrypt_hash("carol-password"), frozenset(), created_at=1.0)
    before = asyncio.run(_stored_hash(empty_redis.url, put=legacy))
    with serving(
        tmp_path, REDIS_URL=empty_redis.url, BALLAST_ADMIN_PASSWORD=ADMIN_PASSWORD
    ) as base:
        logins = [
            httpx.post(
                f"{base}/api/auth/login",
                json={"username": "carol", "password": "carol-password"},
            ).status_code
            for _ in range(2)
        ]
        wrong = httpx.post(
            f"{base}/api/auth/login", json={"username": "carol", "password": "not-hers-at-all"}
        ).status_code
    after = asyncio.run(_stored_hash(empty_redis.url))

    assert before.startswith("scrypt$")
    assert logins == [200, 200]  # the old hash, then the new one
    assert wrong == 401
    assert after.startswith("$argon2id$v=19$")
