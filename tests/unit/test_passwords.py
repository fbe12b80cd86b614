"""Password hashing: argon2id in the PHC string, salted, verifiable; the scrypt hashes of
0.1 still verify and ask to be re-hashed, as do hashes of a lower cost; and a no-user path
that still does the work."""

import asyncio
import os
import sys
import threading
import time

import argon2
import pytest

from adapters.passwords import MEMORY_KIB, PARALLELISM, TIME_COST, Argon2PasswordHasher
from tests.fakes import fast_hasher, scrypt_hash


@pytest.mark.anyio
async def test_a_hash_verifies_with_its_password_only() -> None:
    hasher = fast_hasher()

    hashed = await hasher.hash("correct horse")

    assert await hasher.verify("correct horse", hashed)
    assert not await hasher.verify("correct horse!", hashed)
    assert not await hasher.verify("", hashed)


@pytest.mark.anyio
async def test_the_same_password_hashes_differently_each_time() -> None:
    hasher = fast_hasher()

    first, second = await hasher.hash("correct horse"), await hasher.hash("correct horse")

    assert first != second
    assert await hasher.verify("correct horse", first)
    assert await hasher.verify("correct horse", second)


def test_the_default_hash_is_argon2id_at_owasp_cost_or_above_in_the_phc_string() -> None:
    hashed = Argon2PasswordHasher().hash_sync("correct horse")

    assert hashed.startswith("$argon2id$v=19$m=")
    stored = argon2.extract_parameters(hashed)
    assert stored.type is argon2.Type.ID
    assert (stored.memory_cost, stored.time_cost) >= (19 * 1024, 2)
    assert (MEMORY_KIB, TIME_COST, PARALLELISM) >= (19 * 1024, 2, 1)
    assert "correct horse" not in hashed
    assert not Argon2PasswordHasher().needs_rehash(hashed)


@pytest.mark.anyio
async def test_a_scrypt_hash_of_0_1_still_verifies_and_asks_to_be_rehashed() -> None:
    hasher = fast_hasher()
    stored = scrypt_hash("correct horse")

    assert await hasher.verify("correct horse", stored)
    assert not await hasher.verify("wrong horse", stored)
    assert hasher.needs_rehash(stored)


def test_a_hash_of_a_lower_cost_asks_to_be_rehashed_and_a_higher_one_does_not() -> None:
    current = Argon2PasswordHasher(memory_kib=1024, time_cost=2)

    cheaper = Argon2PasswordHasher(memory_kib=512, time_cost=2).hash_sync("pw-123456")
    fewer_passes = Argon2PasswordHasher(memory_kib=1024, time_cost=1).hash_sync("pw-123456")
    dearer = Argon2PasswordHasher(memory_kib=2048, time_cost=3).hash_sync("pw-123456")
    argon2i = argon2.PasswordHasher(
        memory_cost=1024, time_cost=2, parallelism=1, type=argon2.Type.I
    ).hash("pw-123456")

    assert current.needs_rehash(cheaper)
    assert current.needs_rehash(fewer_passes)
    assert current.needs_rehash(argon2i)
    assert not current.needs_rehash(dearer)
    assert current.verify_sync("pw-123456", dearer)


@pytest.mark.anyio
async def test_verifying_for_an_unknown_user_returns_false() -> None:
    hasher = fast_hasher()

    assert not await hasher.verify("any password", None)
    assert not await hasher.verify("any password", None)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text",
        "bcrypt$1$2$3$4$5",
        "scrypt$x$8$1$AAAA$AAAA",
        "scrypt$1024$8$1$!!$!!",
        "scrypt$4194304$8$1$AAAA$AAAA",
        "$argon2id$v=19$m=8,t=1,p=1$!!$!!",
        "$argon2id$v=19$m=1024,t=1,p=1",
    ],
)
@pytest.mark.anyio
async def test_a_malformed_stored_hash_never_verifies(stored: str) -> None:
    assert not await fast_hasher().verify("any password", stored)


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own nice value is Linux's")
@pytest.mark.anyio
async def test_hashing_threads_run_at_a_lower_priority_than_the_event_loop() -> None:
    hasher = Argon2PasswordHasher(memory_kib=256, time_cost=1, niceness=7)

    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert await hasher.pool.run("client", priority) == priority() + 7


@pytest.mark.anyio
async def test_no_more_hashes_run_at_once_than_the_pool_takes() -> None:
    hasher = Argon2PasswordHasher(memory_kib=256, time_cost=1, max_concurrent=2)
    running, most = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    await asyncio.gather(*(hasher.pool.run(f"client{i}", work) for i in range(6)))

    assert most == 2
