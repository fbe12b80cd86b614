"""scrypt password hashing (standard library), off the event loop and bounded."""

import asyncio
import base64
import hashlib
import hmac
import secrets


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class ScryptPasswordHasher:
    """Memory-hard and slow by design (about 100 ms at the defaults).

    Hashing runs in worker threads, at most `max_concurrent` at a time, so a login storm
    queues logins instead of starving every other request on the event loop.
    """

    def __init__(self, n: int = 2**15, r: int = 8, p: int = 1, max_concurrent: int = 2) -> None:
        self._n, self._r, self._p = n, r, p
        self._slots = asyncio.Semaphore(max_concurrent)
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

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self.hash_sync, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        async with self._slots:
            if password_hash is None:
                # Same work as a real check, so response time does not reveal unknown users.
                if self._dummy is None:
                    self._dummy = await asyncio.to_thread(self.hash_sync, secrets.token_hex(8))
                await asyncio.to_thread(self.verify_sync, password, self._dummy)
                return False
            return await asyncio.to_thread(self.verify_sync, password, password_hash)
