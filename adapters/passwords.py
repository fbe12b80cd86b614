"""Password hashing: argon2id (argon2-cffi) in the standard PHC string; the scrypt hashes of
earlier versions still verify, and say they need re-hashing. Off the event loop, bounded,
fair across clients (hash_pool.py), and at a lower CPU priority than the requests."""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from adapters.hash_pool import HASH_NICENESS, HashPool

T = TypeVar("T")

# OWASP's first argon2id configuration (Password Storage Cheat Sheet): 19 MiB, 2 passes,
# 1 lane. One lane keeps a hash on the one pool thread that runs it (and its priority).
MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1
HASH_THREADS = 2  # per worker
# A client's hashes waiting for a thread, and every client's: beyond either, 429 at once.
MAX_QUEUED_PER_CLIENT = 4
MAX_QUEUED = 256


class Argon2PasswordHasher:
    """Memory-hard and slow by design (tens of ms at the defaults).

    Every hash and check runs in the pool, which serves the clients waiting for it in turn:
    a login from one address waits for at most one hash of each other address, whatever
    one address sends (see HashPool).
    """

    def __init__(
        self,
        memory_kib: int = MEMORY_KIB,
        time_cost: int = TIME_COST,
        parallelism: int = PARALLELISM,
        max_concurrent: int = HASH_THREADS,
        niceness: int = HASH_NICENESS,
        max_queued_per_client: int = MAX_QUEUED_PER_CLIENT,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self._argon = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self.pool = HashPool(max_concurrent, niceness, max_queued_per_client, max_queued)
        self._dummy: str | None = None

    @property
    def threads(self) -> int:
        return self.pool.threads

    def hash_sync(self, password: str) -> str:
        return self._argon.hash(password)

    def verify_sync(self, password: str, password_hash: str) -> bool:
        if password_hash.startswith("$argon2"):
            try:
                return self._argon.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False
        if password_hash.startswith("scrypt$"):
            return _scrypt_verify(password, password_hash)
        return False

    def needs_rehash(self, password_hash: str) -> bool:
        """A hash of another scheme, or argon2 with a lower cost than today's (a higher one
        is kept: the operator lowered it, and an old hash is no weaker for it)."""
        try:
            stored = argon2.extract_parameters(password_hash)
        except InvalidHashError:
            return True
        current = self._argon
        return (
            stored.type is not argon2.Type.ID
            or stored.version < argon2.low_level.ARGON2_VERSION
            or stored.memory_cost < current.memory_cost
            or stored.time_cost < current.time_cost
            or stored.hash_len < current.hash_len
            or stored.salt_len < current.salt_len
        )

    async def _run(self, client: str, work: Callable[[], T]) -> T:
        return await self.pool.run(client, work)

    async def hash(self, password: str, client: str = "") -> str:
        return await self._run(client, lambda: self.hash_sync(password))

    async def verify(self, password: str, password_hash: str | None, client: str = "") -> bool:
        if password_hash is None:
            # Same work as a real check, so response time does not reveal unknown users.
            if self._dummy is None:
                self._dummy = await self.hash(secrets.token_hex(8), client)
            dummy = self._dummy
            await self._run(client, lambda: self.verify_sync(password, dummy))
            return False
        return await self._run(client, lambda: self.verify_sync(password, password_hash))


def _scrypt_verify(password: str, password_hash: str) -> bool:
    """The `scrypt$N$r$p$salt$key` hashes of Ballast 0.1 (verified, never written)."""
    try:
        _, n, r, p, salt, key = password_hash.split("$")
        cost = int(n)
        if not 2 <= cost <= 2**20 or not 1 <= int(r) <= 32 or not 1 <= int(p) <= 16:
            return False
        derived = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=cost,
            r=int(r),
            p=int(p),
            maxmem=256 * cost * int(r) * 2,
            dklen=32,
        )
        return hmac.compare_digest(derived, base64.b64decode(key))
    except ValueError:
        return False
