"""Small fakes for unit tests (no mocks): a clock that moves only when told, predictable ids."""

import base64
import hashlib
import itertools
import secrets

from adapters.passwords import Argon2PasswordHasher
from domain.tokens import TokenClaims, TokenType

# Where every FakeClock starts: a fixed time, so that stored times are the same in every run.
START = 1_800_000_000.0


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.current = now
        self.failures = 0

    def now(self) -> float:
        if self.failures > 0:  # a fault a test injects: a bug in whatever reads the clock
            self.failures -= 1
            raise RuntimeError("the clock failed (injected by a test)")
        return self.current

    def fail(self, times: int = 1) -> None:
        """The next `times` reads raise."""
        self.failures = times

    def advance(self, seconds: float) -> None:
        self.current += seconds


class SequentialIds:
    def __init__(self, prefix: str = "id") -> None:
        self._counter = itertools.count(1)
        self.prefix = prefix

    def new_id(self) -> str:
        return f"{self.prefix}{next(self._counter)}"


def fast_hasher() -> Argon2PasswordHasher:
    """Real argon2id at a low cost: the same code path, a millisecond instead of tens."""
    return Argon2PasswordHasher(memory_kib=256, time_cost=1)


def token_claims(
    jti: str, family: str, sub: str = "someone", iat: float = 1_800_000_000.0
) -> TokenClaims:
    """Claims of an access token, for revocation checks that need no signed token."""
    return TokenClaims(
        sub=sub,
        jti=jti,
        iat=iat,
        exp=int(iat) + 900,
        iss="ballast",
        type=TokenType.ACCESS,
        roles=frozenset(),
        fam=family,
    )


def scrypt_hash(password: str, n: int = 2**10) -> str:
    """A hash as Ballast 0.1 wrote it."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    return f"scrypt${n}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
