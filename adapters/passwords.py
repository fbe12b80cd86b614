"""scrypt password hashing (standard library), off the event loop, bounded, and at a lower
CPU priority than the requests it would otherwise starve."""

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# The nice value of the hashing threads. Under contention Linux gives a nice-10 thread about a
# tenth of the CPU a nice-0 one gets, so a login storm takes what the event loops leave.
HASH_NICENESS = 10


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class ScryptPasswordHasher:
    """Memory-hard and slow by design (about 100 ms at the defaults).

    Hashing runs in its own threads, at most `max_concurrent` at a time, so a login storm
    queues logins instead of blocking the event loop; and at a lower priority (on Linux, where
    a thread's nice value is its own), so the hashes it does run do not take the CPU from the
    requests that cost microseconds (hashlib.scrypt releases the GIL).
    """

    def __init__(
        self,
        n: int = 2**15,
        r: int = 8,
        p: int = 1,
        max_concurrent: int = 2,
        niceness: int = HASH_NICENESS,
    ) -> None:
        self._n, self._r, self._p = n, r, p
        self._pool = ThreadPoolExecutor(
            max_concurrent,
            thread_name_prefix="ballast-hash",
            initializer=_lower_priority,
            initargs=(niceness,),
        )
        self._dummy: str | None = None

    def _derive(self, password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        return hashlib.scrypt(
            password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r * 2, dklen=32
        )

    def hash_sync(self, password: str) -> str:
        salt = secrets.token_bytes(16)
        key = self._derive(password, salt, self._n, self._r, self._p)
        return f"scrypt${self._n}${self._r}${self._p}${_b64(salt)}${_b64(key)}"

    def verify_sync(self, password: str, password_hash: str) -> bool:
        try:
            scheme, n, r, p, salt, key = password_hash.split("$")
            if scheme != "scrypt":
                return False
            derived = self._derive(password, base64.b64decode(salt), int(n), int(r), int(p))
            return hmac.compare_digest(derived, base64.b64decode(key))
        except ValueError:
            return False

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    async def hash(self, password: str) -> str:
        return await self._run(self.hash_sync, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        if password_hash is None:
            # Same work as a real check, so response time does not reveal unknown users.
            if self._dummy is None:
                self._dummy = await self._run(self.hash_sync, secrets.token_hex(8))
            await self._run(self.verify_sync, password, self._dummy)
            return False
        return await self._run(self.verify_sync, password, password_hash)


def _lower_priority(niceness: int) -> None:
    if sys.platform == "linux":  # elsewhere the call would lower the whole process
        # Refused (a sandbox): hashing keeps the normal priority.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
