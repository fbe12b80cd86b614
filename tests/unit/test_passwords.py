"""scrypt password hashing: salted, verifiable, and a no-user path that still does the work."""

import asyncio
import os
import sys
import threading
import time

import pytest

from adapters.passwords import ScryptPasswordHasher
from tests.fakes import fast_hasher


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


@pytest.mark.anyio
async def test_a_hash_names_scrypt_and_its_cost_and_holds_no_password() -> None:
    hashed = await fast_hasher().hash("correct horse")

    scheme, n, r, p, _salt, _key = hashed.split("$")
    assert (scheme, n, r, p) == ("scrypt", "1024", "8", "1")
    assert "correct horse" not in hashed


@pytest.mark.anyio
async def test_a_hash_made_at_another_cost_still_verifies() -> None:
    hashed = ScryptPasswordHasher(n=2**11).hash_sync("correct horse")

    assert await fast_hasher().verify("correct horse", hashed)


@pytest.mark.anyio
async def test_verifying_for_an_unknown_user_returns_false() -> None:
    hasher = fast_hasher()

    assert not await hasher.verify("any password", None)
    assert not await hasher.verify("any password", None)


@pytest.mark.parametrize(
    "stored",
    ["", "plain-text", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AAAA$AAAA", "scrypt$1024$8$1$!!$!!"],
)
@pytest.mark.anyio
async def test_a_malformed_stored_hash_never_verifies(stored: str) -> None:
    assert not await fast_hasher().verify("any password", stored)


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own nice value is Linux's")
@pytest.mark.anyio
async def test_hashing_threads_run_at_a_lower_priority_than_the_event_loop() -> None:
    hasher = ScryptPasswordHasher(n=2**10, niceness=7)

    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert await hasher._run(priority) == priority() + 7


@pytest.mark.anyio
async def test_no_more_hashes_run_at_once_than_the_pool_takes() -> None:
    hasher = ScryptPasswordHasher(n=2**10, max_concurrent=2)
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

    await asyncio.gather(*(hasher._run(work) for _ in range(6)))

    assert most == 2
