"""Every auth use case wired by hand on memory adapters and fakes: no container, no I/O."""

import attrs

from adapters.jwt_codec import JwtTokenCodec
from adapters.jwt_keys import secret_ring
from adapters.memory.auth import (
    MemoryAuthEventLog,
    MemoryRefreshTokenStore,
    MemoryRevocationList,
    MemoryUserDirectory,
)
from adapters.passwords import Argon2PasswordHasher
from application.auth.events import EventRecorder, ListAuthEvents
from application.auth.login import Login
from application.auth.refresh import Refresh, RevokeReusedFamily
from application.auth.revoke import Logout, RevokeToken
from application.auth.sessions import EndSessions
from application.auth.tokens import TokenIssuer, VerifyToken
from application.auth.users import CreateUser, SeedUsers
from domain.tokens import TokenClaims, TokenPolicy, TokenType
from domain.users import Role, User
from tests.fakes import FakeClock, SequentialIds, fast_hasher

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"
ISSUER = "ballast"
ACCESS_TTL = 900
REFRESH_TTL = 3600
CLIENT = "203.0.113.7"
ADMIN_PASSWORD = "admin-password"
ALICE_PASSWORD = "alice-password"


@attrs.define
class AuthWorld:
    clock: FakeClock
    ids: SequentialIds
    hasher: Argon2PasswordHasher
    codec: JwtTokenCodec
    policy: TokenPolicy
    users: MemoryUserDirectory
    refresh_tokens: MemoryRefreshTokenStore
    revocations: MemoryRevocationList
    event_log: MemoryAuthEventLog
    verify: VerifyToken
    login: Login
    refresh: Refresh
    logout: Logout
    revoke: RevokeToken
    create_user: CreateUser
    seed: SeedUsers
    sessions: EndSessions
    list_events: ListAuthEvents

    async def add_user(self, username: str, password: str, *roles: Role) -> None:
        await self.users.put(User(username, await self.hasher.hash(password), frozenset(roles)))

    def claims(self, token: str) -> TokenClaims:
        return self.codec.decode(token)

    async def admin(self) -> TokenClaims:
        """Verified claims of a freshly logged-in admin."""
        pair = await self.login("admin", ADMIN_PASSWORD, CLIENT)
        return await self.verify(pair.access_token, TokenType.ACCESS)


def auth_world(access_ttl: int = ACCESS_TTL, refresh_ttl: int = REFRESH_TTL) -> AuthWorld:
    clock = FakeClock()
    ids = SequentialIds()
    hasher = fast_hasher()
    codec = JwtTokenCodec(secret_ring(SECRET), ISSUER, clock)
    policy = TokenPolicy(ISSUER, access_ttl, refresh_ttl)
    users = MemoryUserDirectory(clock)
    refresh_tokens = MemoryRefreshTokenStore(clock)
    revocations = MemoryRevocationList(clock)
    event_log = MemoryAuthEventLog()
    recorder = EventRecorder(event_log, clock, ids)
    issuer = TokenIssuer(codec, policy, clock, ids)
    verify = VerifyToken(codec, revocations, policy)
    sessions = EndSessions(refresh_tokens, revocations, clock, policy)
    return AuthWorld(
        clock=clock,
        ids=ids,
        hasher=hasher,
        codec=codec,
        policy=policy,
        users=users,
        refresh_tokens=refresh_tokens,
        revocations=revocations,
        event_log=event_log,
        verify=verify,
        login=Login(users, hasher, issuer, refresh_tokens, recorder, ids),
        refresh=Refresh(
            verify,
            issuer,
            refresh_tokens,
            users,
            sessions,
            RevokeReusedFamily(sessions, recorder),
            recorder,
            ids,
        ),
        logout=Logout(codec, revocations, refresh_tokens, sessions, recorder),
        revoke=RevokeToken(codec, revocations, recorder),
        create_user=CreateUser(users, hasher, recorder, clock),
        seed=SeedUsers(users, hasher, sessions),
        sessions=sessions,
        list_events=ListAuthEvents(event_log),
    )


async def seeded_world(access_ttl: int = ACCESS_TTL, refresh_ttl: int = REFRESH_TTL) -> AuthWorld:
    """An admin (`admin`) and a plain user (`alice`)."""
    world = auth_world(access_ttl, refresh_ttl)
    await world.seed(ADMIN_PASSWORD, [])
    await world.add_user("alice", ALICE_PASSWORD)
    return world
