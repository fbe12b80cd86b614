"""Signing keys: the current one, earlier ones still accepted, their `kid`s and the JWK Set.

HS256 signs with the shared secret; EdDSA (Ed25519) and ES256 (P-256) with a private key
whose public half anyone may fetch from the JWKS, so other services verify tokens without
holding a secret. Every key's `kid` is its RFC 7638 thumbprint.
"""

import base64
import enum
import hashlib
import json
from typing import Any

import attrs
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

Jwk = dict[str, str]


class Algorithm(enum.StrEnum):
    HS256 = "HS256"
    EDDSA = "EdDSA"
    ES256 = "ES256"

    @property
    def asymmetric(self) -> bool:
        return self is not Algorithm.HS256


class KeyFileError(ValueError):
    """A PEM that is not a key of the configured algorithm (the message names no secret)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(jwk: Jwk) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, no whitespace."""
    required = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "oct": ("k", "kty")}
    members = {name: jwk[name] for name in required[jwk["kty"]]}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode()).digest())


@attrs.frozen
class VerifyingKey:
    """A key tokens are checked with; `jwk` is its public JWK (None for a shared secret)."""

    kid: str
    algorithm: Algorithm
    key: Any = attrs.field(repr=False)
    jwk: Jwk | None


@attrs.frozen
class SigningKey:
    kid: str
    algorithm: Algorithm
    key: Any = attrs.field(repr=False)


@attrs.frozen
class KeyRing:
    """The key new tokens are signed with, and every key a token may be verified with."""

    signing: SigningKey
    verifying: dict[str, VerifyingKey]

    def jwks(self) -> dict[str, list[Jwk]]:
        """The public keys, current first: what another service needs to verify tokens."""
        keys = [self.verifying[self.signing.kid], *self.verifying.values()]
        seen: set[str] = set()
        out = []
        for key in keys:
            if key.jwk is not None and key.kid not in seen:
                seen.add(key.kid)
                out.append(key.jwk)
        return {"keys": out}


def _public_jwk(public: Any, algorithm: Algorithm) -> Jwk:
    if algorithm is Algorithm.EDDSA:
        jwk: Jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    members = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y")}
    return {**members, "kid": thumbprint(members), "alg": algorithm.value, "use": "sig"}


def _load_pem(pem: bytes, algorithm: Algorithm) -> tuple[Any | None, Any]:
    """(private key or None, public key) of a PEM holding either half."""
    private: Any | None = None
    try:
        private = serialization.load_pem_private_key(pem, password=None)
        public = private.public_key()
    except (ValueError, TypeError):
        try:
            public = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise KeyFileError("is not an unencrypted PEM private or public key") from None
    except UnsupportedAlgorithm:
        raise KeyFileError("is not a key type this service supports") from None
    if algorithm is Algorithm.EDDSA:
        if not isinstance(public, ed25519.Ed25519PublicKey):
            raise KeyFileError("is not an Ed25519 key (EdDSA)")
    elif not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
        raise KeyFileError("is not a P-256 EC key (ES256)")
    return private, public


def check_pem(pem: bytes, algorithm: Algorithm, *, private: bool) -> None:
    """Raises KeyFileError unless `pem` is a key of `algorithm` (private, if asked)."""
    key, _ = _load_pem(pem, algorithm)
    if private and key is None:
        raise KeyFileError("holds a public key; the signing key must be private")


def secret_ring(secret: str) -> KeyRing:
    """HS256: the kid is the thumbprint of the secret as an `oct` JWK, a SHA-256 that
    reveals nothing a brute force of the token's own HMAC would not; no public keys."""
    kid = thumbprint({"kty": "oct", "k": _b64(secret.encode())})
    key = VerifyingKey(kid, Algorithm.HS256, secret, None)
    return KeyRing(SigningKey(kid, Algorithm.HS256, secret), {kid: key})


def pem_ring(algorithm: Algorithm, current: bytes, previous: tuple[bytes, ...] = ()) -> KeyRing:
    """EdDSA or ES256: sign with `current` (private), verify with it and every `previous`."""
    verifying: dict[str, VerifyingKey] = {}
    signing: SigningKey | None = None
    for pem in (current, *previous):
        private, public = _load_pem(pem, algorithm)
        jwk = _public_jwk(public, algorithm)
        verifying.setdefault(jwk["kid"], VerifyingKey(jwk["kid"], algorithm, public, jwk))
        if signing is None:
            if private is None:
                raise KeyFileError("holds a public key; the signing key must be private")
            signing = SigningKey(jwk["kid"], algorithm, private)
    assert signing is not None
    return KeyRing(signing, verifying)


def key_ring(
    algorithm: Algorithm, secret: str, current: bytes | None, previous: tuple[bytes, ...]
) -> KeyRing:
    """The ring the configuration describes (settings have checked every PEM)."""
    if not algorithm.asymmetric:
        return secret_ring(secret)
    assert current is not None
    return pem_ring(algorithm, current, previous)


def generate_pem(algorithm: Algorithm) -> str:
    """A new private key, PKCS#8 PEM, unencrypted (the file's mode protects it)."""
    key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
    if algorithm is Algorithm.EDDSA:
        key = ed25519.Ed25519PrivateKey.generate()
    elif algorithm is Algorithm.ES256:
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        raise KeyFileError("HS256 uses BALLAST_JWT_SECRET, not a key file")
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
