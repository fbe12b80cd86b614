"""Client secrets kept as HMAC-SHA256 under a random key of their own.

A client secret is 256 random bits: no one can guess it, so a password hash's slowness
would buy nothing and cost every grant about 100 ms. What a stolen store must not give away
is the secret itself; a keyed hash does that, and checking it costs a microsecond. Each hash
carries its own 128-bit key, so `ballast hash-client-secret` can make one for the clients
file without any server key, and equal secrets never hash alike.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SCHEME = "hmac-sha256"
SECRET_BYTES = 32  # 256 bits
_KEY_BYTES = 16
# Compared against when there is no such client: the same work as a real check.
_DUMMY = f"{SCHEME}${'A' * 22}${'A' * 43}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_client_secret_hash(text: str) -> bool:
    """Whether `text` is a hash this module made (for the clients file)."""
    parts = text.split("$")
    if len(parts) != 3 or parts[0] != SCHEME:
        return False
    try:
        key, digest = _unb64(parts[1]), _unb64(parts[2])
    except (ValueError, TypeError):
        return False
    return len(key) == _KEY_BYTES and len(digest) == hashlib.sha256().digest_size


class HmacClientSecrets:
    def new_secret(self) -> str:
        # base64url: reads the same whether or not a client form-encodes it for Basic.
        return secrets.token_urlsafe(SECRET_BYTES)

    def hash(self, secret: str) -> str:
        key = secrets.token_bytes(_KEY_BYTES)
        digest = hmac.new(key, secret.encode(), hashlib.sha256).digest()
        return f"{SCHEME}${_b64(key)}${_b64(digest)}"

    def verify(self, secret: str, hashes: Sequence[str]) -> bool:
        matched = False
        presented = secret.encode("utf-8", "surrogatepass")
        for stored in hashes or (_DUMMY,):
            scheme, _, rest = stored.partition("$")
            key_text, _, digest_text = rest.partition("$")
            try:
                key, digest = _unb64(key_text), _unb64(digest_text)
            except (ValueError, TypeError):
                continue
            mine = hmac.new(key, presented, hashlib.sha256).digest()
            # Every hash is checked, match or not: the time says nothing of which matched.
            matched |= hmac.compare_digest(mine, digest) and scheme == SCHEME and bool(hashes)
        return matched
