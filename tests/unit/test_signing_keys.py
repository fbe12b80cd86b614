"""Signing keys: thumbprints, rings, and the codec choosing a key by `kid` alone."""

import jwt
import pytest

from adapters.jwt_codec import JwtTokenCodec
from adapters.jwt_keys import (
    Algorithm,
    KeyFileError,
    check_pem,
    generate_pem,
    pem_ring,
    secret_ring,
    thumbprint,
)
from domain.errors import InvalidTokenError
from domain.tokens import TokenClaims, TokenType
from domain.users import Role
from tests.fakes import FakeClock

SECRET = "unit-test-secret-of-at-least-thirty-two-bytes"
ASYMMETRIC = [Algorithm.EDDSA, Algorithm.ES256]


def claims(clock: FakeClock, aud: str | None = None) -> TokenClaims:
    now = clock.now()
    return TokenClaims(
        sub="alice",
        jti="j1",
        iat=now,
        exp=int(now) + 60,
        iss="ballast",
        type=TokenType.ACCESS,
        roles=frozenset({Role.SERVICE}),
        fam="f1",
        aud=aud,
    )


def test_the_thumbprint_is_the_rfc_8037_example_for_its_ed25519_key() -> None:
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_the_hs256_kid_is_stable_and_does_not_contain_the_secret() -> None:
    ring = secret_ring(SECRET)
    assert ring.signing.kid == secret_ring(SECRET).signing.kid
    assert ring.signing.kid != secret_ring(SECRET + "x").signing.kid
    assert SECRET not in ring.signing.kid
    assert ring.jwks() == {"keys": []}


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_a_token_carries_its_keys_thumbprint_and_verifies_with_the_public_jwk(
    algorithm: Algorithm,
) -> None:
    clock = FakeClock()
    ring = pem_ring(algorithm, generate_pem(algorithm).encode())
    token = JwtTokenCodec(ring, "ballast", clock).encode(claims(clock))

    (jwk,) = ring.jwks()["keys"]
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"] == thumbprint(jwk)
    assert (jwk["alg"], jwk["use"]) == (algorithm.value, "sig")
    assert "d" not in jwk  # never the private part
    public = jwt.PyJWK(jwk).key
    options = {"verify_exp": False, "verify_iat": False}  # the fake clock is not now
    decoded = jwt.decode(token, public, algorithms=[algorithm.value], options=options)
    assert decoded["sub"] == "alice"


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_tokens_of_a_previous_key_stay_valid_and_new_ones_use_the_current_key(
    algorithm: Algorithm,
) -> None:
    clock = FakeClock()
    old_pem, new_pem = generate_pem(algorithm).encode(), generate_pem(algorithm).encode()
    old = JwtTokenCodec(pem_ring(algorithm, old_pem), "ballast", clock)
    rotated_ring = pem_ring(algorithm, new_pem, (old_pem,))
    rotated = JwtTokenCodec(rotated_ring, "ballast", clock)

    old_token, new_token = old.encode(claims(clock)), rotated.encode(claims(clock))

    assert rotated.decode(old_token).sub == "alice"
    assert jwt.get_unverified_header(new_token)["kid"] == rotated_ring.signing.kid
    assert [k["kid"] for k in rotated_ring.jwks()["keys"]] == [
        rotated_ring.signing.kid,
        pem_ring(algorithm, old_pem).signing.kid,
    ]
    with pytest.raises(InvalidTokenError, match="unknown key"):
        old.decode(new_token)


def test_an_hs256_token_without_kid_from_before_this_version_is_accepted() -> None:
    clock = FakeClock()
    codec = JwtTokenCodec(secret_ring(SECRET), "ballast", clock)
    payload = {
        "sub": "alice",
        "jti": "j0",
        "iat": int(clock.now()),
        "exp": int(clock.now()) + 60,
        "iss": "ballast",
        "type": "access",
        "roles": [],
        "fam": "f0",
    }
    legacy = jwt.encode(payload, SECRET, algorithm="HS256")

    assert "kid" not in jwt.get_unverified_header(legacy)
    assert codec.decode(legacy).jti == "j0"


def test_a_kid_less_token_is_refused_under_an_asymmetric_key() -> None:
    clock = FakeClock()
    codec = JwtTokenCodec(
        pem_ring(Algorithm.EDDSA, generate_pem(Algorithm.EDDSA).encode()), "ballast", clock
    )
    legacy = jwt.encode({"sub": "alice"}, SECRET, algorithm="HS256")

    with pytest.raises(InvalidTokenError, match="unknown key"):
        codec.decode(legacy)


def test_a_token_cannot_pick_hs256_with_the_public_key_as_secret() -> None:
    """The classic algorithm confusion: the kid names an EdDSA key, the header says HS256."""
    clock = FakeClock()
    ring = pem_ring(Algorithm.ES256, generate_pem(Algorithm.ES256).encode())
    codec = JwtTokenCodec(ring, "ballast", clock)
    genuine = codec.encode(claims(clock))
    payload = jwt.decode(genuine, options={"verify_signature": False})
    (jwk,) = ring.jwks()["keys"]
    forged = jwt.encode(payload, jwk["x"], algorithm="HS256", headers={"kid": jwk["kid"]})

    with pytest.raises(InvalidTokenError):
        codec.decode(forged)


def test_with_an_audience_tokens_carry_it_and_others_are_refused() -> None:
    clock = FakeClock()
    ring = secret_ring(SECRET)
    billing = JwtTokenCodec(ring, "ballast", clock, audience="billing")
    shipping = JwtTokenCodec(ring, "ballast", clock, audience="shipping")
    open_codec = JwtTokenCodec(ring, "ballast", clock)

    token = billing.encode(claims(clock, aud="billing"))

    assert billing.decode(token).aud == "billing"
    with pytest.raises(InvalidTokenError, match="another audience"):
        shipping.decode(token)
    with pytest.raises(InvalidTokenError, match="'aud'"):
        billing.decode(open_codec.encode(claims(clock)))


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_a_key_of_the_wrong_kind_is_refused(algorithm: Algorithm) -> None:
    other = Algorithm.ES256 if algorithm is Algorithm.EDDSA else Algorithm.EDDSA
    with pytest.raises(KeyFileError):
        check_pem(generate_pem(other).encode(), algorithm, private=False)
    with pytest.raises(KeyFileError):
        check_pem(b"not a pem", algorithm, private=False)
