"""Verifying tokens: type, expiry by the injected clock, and revocations that expire."""

import pytest

from adapters.memory.auth import MemoryRevocationList
from domain.errors import InvalidTokenError
from domain.tokens import Revocation, RevocationKind, TokenClaims, TokenType
from tests.fakes import FakeClock, token_claims
from tests.support.auth_world import ACCESS_TTL, ALICE_PASSWORD, CLIENT, seeded_world


@pytest.mark.anyio
async def test_an_access_token_verifies_to_its_claims() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)

    claims = await world.verify(pair.access_token)

    assert (claims.sub, claims.type, claims.roles) == ("alice", TokenType.ACCESS, frozenset())


@pytest.mark.anyio
async def test_an_access_token_is_accepted_until_its_last_second() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    world.clock.advance(ACCESS_TTL - 1)

    assert (await world.verify(pair.access_token)).sub == "alice"


@pytest.mark.anyio
async def test_an_access_token_is_refused_once_the_clock_reaches_its_expiry() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    world.clock.advance(ACCESS_TTL)

    with pytest.raises(InvalidTokenError, match="expired"):
        await world.verify(pair.access_token)


@pytest.mark.anyio
async def test_a_token_issued_in_the_future_is_not_valid_yet() -> None:
    world = await seeded_world()
    world.clock.advance(3600)
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    world.clock.advance(-3600)

    with pytest.raises(InvalidTokenError, match="not valid yet"):
        await world.verify(pair.access_token)


@pytest.mark.anyio
async def test_a_refresh_token_used_as_an_access_token_is_refused() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)

    with pytest.raises(InvalidTokenError, match="access token is required"):
        await world.verify(pair.refresh_token)


@pytest.mark.anyio
async def test_an_access_token_used_as_a_refresh_token_is_refused() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)

    with pytest.raises(InvalidTokenError, match="refresh token is required"):
        await world.verify(pair.access_token, TokenType.REFRESH)


@pytest.mark.anyio
async def test_a_revoked_token_is_refused_by_verify() -> None:
    world = await seeded_world()
    pair = await world.login("alice", ALICE_PASSWORD, CLIENT)
    claims = world.claims(pair.access_token)

    await world.revocations.revoke(Revocation(RevocationKind.TOKEN, claims.jti, claims.exp))

    with pytest.raises(InvalidTokenError, match="revoked"):
        await world.verify(pair.access_token)


def client_claims(clock: FakeClock) -> TokenClaims:
    now = clock.now()
    return TokenClaims(
        sub="svc-1",
        jti="j-1",
        iat=now,
        exp=int(now) + 3600,
        iss="ballast",
        type=TokenType.ACCESS,
        roles=frozenset(),
        fam="j-1",
        client_id="svc-1",
        scopes=frozenset({"users:read"}),
    )


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["user", "client"])
async def test_a_token_verified_once_is_answered_from_the_verified_tokens_cache(kind: str) -> None:
    """A client's token costs a request no more than a user's: the signature is checked
    once, then both are the same dictionary lookup (and the revocation check)."""
    world = await seeded_world()
    if kind == "user":
        token = (await world.login("alice", ALICE_PASSWORD, CLIENT)).access_token
    else:
        token = world.codec.encode(client_claims(world.clock))

    first = await world.verify(token)

    assert await world.verify(token) is first
    assert first.is_client is (kind == "client")


@pytest.mark.anyio
async def test_a_token_revocation_is_kept_until_the_token_would_expire_and_no_longer() -> None:
    clock = FakeClock()
    revocations = MemoryRevocationList(clock)
    expires_at = int(clock.now()) + 100

    await revocations.revoke(Revocation(RevocationKind.TOKEN, "jti-1", expires_at))

    clock.advance(99)
    assert await revocations.is_revoked(token_claims("jti-1", "some-family"))
    assert len(revocations.live()) == 1
    clock.advance(1)
    assert not await revocations.is_revoked(token_claims("jti-1", "some-family"))
    assert revocations.live() == []


@pytest.mark.anyio
async def test_a_family_revocation_covers_every_token_of_the_family_until_it_expires() -> None:
    clock = FakeClock()
    revocations = MemoryRevocationList(clock)
    await revocations.revoke(Revocation(RevocationKind.FAMILY, "fam-1", int(clock.now()) + 50))

    assert await revocations.is_revoked(token_claims("any-jti", "fam-1"))
    assert await revocations.is_revoked(token_claims("another-jti", "fam-1"))
    assert not await revocations.is_revoked(token_claims("any-jti", "fam-2"))
    clock.advance(50)
    assert not await revocations.is_revoked(token_claims("any-jti", "fam-1"))


@pytest.mark.anyio
async def test_revoking_again_with_an_earlier_expiry_never_shortens_a_revocation() -> None:
    clock = FakeClock()
    revocations = MemoryRevocationList(clock)
    now = int(clock.now())
    await revocations.revoke(Revocation(RevocationKind.FAMILY, "fam-1", now + 100))

    await revocations.revoke(Revocation(RevocationKind.FAMILY, "fam-1", now + 10))

    clock.advance(50)
    assert await revocations.is_revoked(token_claims("jti", "fam-1"))


@pytest.mark.anyio
async def test_revoking_again_with_a_later_expiry_extends_a_revocation() -> None:
    clock = FakeClock()
    revocations = MemoryRevocationList(clock)
    now = int(clock.now())
    await revocations.revoke(Revocation(RevocationKind.FAMILY, "fam-1", now + 10))

    await revocations.revoke(Revocation(RevocationKind.FAMILY, "fam-1", now + 100))

    clock.advance(50)
    assert await revocations.is_revoked(token_claims("jti", "fam-1"))
