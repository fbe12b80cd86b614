"""Redis adapters of the auth ports. Plain: they raise redis errors, the failover layer
decides what an error means."""

import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from adapters.redis import channel, keys
from adapters.redis.scripts import is_cluster, write_each
from domain.errors import ConflictError
from domain.tokens import Revocation, RevocationKind, Rotation, TokenClaims
from domain.users import Role, User, UserPage, UserSource


def _user_json(user: User) -> str:
    return json.dumps(
        {
            "password_hash": user.password_hash,
            "roles": sorted(r.value for r in user.roles),
            "disabled": user.disabled,
            "source": user.source.value,
            "created_at": user.created_at,
        }
    )


def _user(username: str, raw: str) -> User:
    data = json.loads(raw)
    return User(
        username,
        data["password_hash"],
        frozenset(Role(r) for r in data["roles"]),
        disabled=bool(data.get("disabled", False)),
        source=UserSource(data.get("source", UserSource.API.value)),
        created_at=float(data.get("created_at", 0.0)),
    )


class RedisUserDirectory:
    """Users as JSON strings; the names of configured users also in one set, so that the
    ones configuration no longer lists can be found at start."""

    def __init__(self, client: Any) -> None:
        self._redis = client

    async def get(self, username: str) -> User | None:
        raw = await self._redis.get(keys.user(username))
        return None if raw is None else _user(username, raw)

    async def add(self, user: User) -> None:
        if not await self._redis.set(keys.user(user.username), _user_json(user), nx=True):
            raise ConflictError("user", user.username)
        await self._redis.zadd(keys.USERNAMES, {user.username: 0})
        await self._note_source(user)

    async def put(self, user: User) -> None:
        await self._redis.set(keys.user(user.username), _user_json(user))
        await self._redis.zadd(keys.USERNAMES, {user.username: 0})
        await self._note_source(user)

    async def remove(self, username: str) -> None:
        await self._redis.delete(keys.user(username))
        await self._redis.srem(keys.CONFIGURED_USERS, username)
        await self._redis.zrem(keys.USERNAMES, username)

    async def page(self, limit: int, after: str | None) -> UserPage:
        """From the username index (one slot), then each user by key (each its own slot)."""
        start = "-" if after is None else f"({after}"
        names: list[str] = await self._redis.zrangebylex(
            keys.USERNAMES, start, "+", start=0, num=limit + 1
        )
        more, names = len(names) > limit, names[:limit]
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.get(keys.user(name))
            raws = await pipe.execute()
        items = tuple(_user(n, raw) for n, raw in zip(names, raws, strict=True) if raw is not None)
        return UserPage(items, names[-1] if more and names else None)

    async def configured_names(self) -> set[str]:
        return set(await self._redis.smembers(keys.CONFIGURED_USERS))

    async def _note_source(self, user: User) -> None:
        if user.source is UserSource.FILE:
            await self._redis.sadd(keys.CONFIGURED_USERS, user.username)
        else:
            await self._redis.srem(keys.CONFIGURED_USERS, user.username)


# Idempotent: presenting (jti -> successor) again after it was applied answers "rotated".
ROTATE = """
local current = redis.call('GET', KEYS[1])
if not current then return 'unknown' end
if current == ARGV[2] then return 'rotated' end
if current ~= ARGV[1] then return 'reused' end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 'rotated'
"""

# The user's index of families: (re)scores one family by its expiry, drops expired ones,
# and keeps the index alive as long as its newest family. Redis time, like the TTLs.
INDEX_FAMILY = """
local now = tonumber(redis.call('TIME')[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('EXPIREAT', KEYS[1], math.ceil(tonumber(newest[2])))
return 1
"""

# Takes the user's whole index: the families that were live.
TAKE_FAMILIES = """
local now = tonumber(redis.call('TIME')[1])
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
redis.call('DEL', KEYS[1])
return live
"""


class RedisRefreshTokenStore:
    """Rotation is one Lua script: two concurrent refreshes give one winner, one reuse.

    Every script touches one key (family, or a user's index), so each runs on one Cluster
    slot; the index is kept beside the family in a second command."""

    def __init__(self, client: Any) -> None:
        self._redis = client
        self._rotate = client.register_script(ROTATE)
        self._index = client.register_script(INDEX_FAMILY)
        self._take = client.register_script(TAKE_FAMILIES)

    async def start(self, user: str, family: str, jti: str, ttl: int) -> None:
        # NX: replaying a start after the family moved on must not rewind it.
        await self._redis.set(keys.family(family), jti, ex=ttl, nx=True)
        await self._index(keys=[keys.user_families(user)], args=[family, ttl])

    async def rotate(self, user: str, family: str, jti: str, successor: str, ttl: int) -> Rotation:
        outcome = Rotation(
            await self._rotate(keys=[keys.family(family)], args=[jti, successor, ttl])
        )
        if outcome is Rotation.ROTATED:
            await self._index(keys=[keys.user_families(user)], args=[family, ttl])
        return outcome

    async def end(self, user: str, family: str) -> None:
        await self._redis.delete(keys.family(family))
        await self._redis.zrem(keys.user_families(user), family)

    async def end_all(self, user: str) -> list[str]:
        families: list[str] = sorted(await self._take(keys=[keys.user_families(user)]))
        ended = []
        for family in families:
            if await self._redis.delete(keys.family(family)):
                ended.append(family)
        return ended


CUTOFFS = (RevocationKind.USER, RevocationKind.CLIENT)


def revocation_value(r: Revocation) -> str:
    """What a revocation key holds: its expiry, and for a cut-off `;issued_before;spared`."""
    if r.kind in CUTOFFS:
        return f"{r.expires_at};{r.issued_before!r};{r.spared}"
    return str(r.expires_at)


def parse_revocation(kind: str, id_: str, value: str) -> Revocation:
    """Raises ValueError for anything this version did not write."""
    expires_at, *cutoff = value.split(";")
    if cutoff:
        before, spared = cutoff
        return Revocation(RevocationKind(kind), id_, int(expires_at), float(before), spared)
    return Revocation(RevocationKind(kind), id_, int(expires_at))


def encode_revocation(r: Revocation) -> str:
    return f"{r.kind.value}:{r.id}:{revocation_value(r)}"


def decode_revocation(raw: str) -> Revocation:
    kind, rest = raw.split(":", 1)
    id_, value = rest.rsplit(":", 1)
    return parse_revocation(kind, id_, value)


# Keeps the revocation that supersedes (Revocation.supersedes): the later cut-off, else
# the later expiry. Returns 1 when it wrote, so that write-back announces only news.
REVOKE = """
local current = redis.call('GET', KEYS[1])
if current then
  local expires, before = string.match(current, '^([^;]*);?([^;]*)')
  local new_before = tonumber(ARGV[3])
  if new_before and tonumber(before) and tonumber(before) ~= new_before then
    if tonumber(before) > new_before then return 0 end
  elseif tonumber(expires) >= tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])
return 1
"""


class RedisRevocationList:
    """Revocations as keys expiring with their tokens, announced on a pub/sub channel:
    `revoke` and `write_back` publish, `listen` subscribes.

    On a cluster the channel is sharded (SPUBLISH/SSUBSCRIBE, Redis 7): publisher and
    subscribers meet on the node serving the channel's slot, so an announcement reaches
    every instance whatever node its other connections use. Every revocation key shares
    the `{rev}` hash tag: MGET and the write-back pipeline stay in one slot, and SCAN (run
    on every master by a cluster client) finds them all."""

    def __init__(self, client: Any) -> None:
        self._redis = client
        self._sharded = is_cluster(client)
        self._revoke = client.register_script(REVOKE)

    async def _write(self, pipe: Any, r: Revocation) -> Any:
        """Queues the write on `pipe` (a pipeline registers the script before it runs), or
        runs it on the client; its result says whether it wrote."""
        before = repr(r.issued_before) if r.kind in CUTOFFS else ""
        return await self._revoke(
            keys=[keys.revocation(r.kind.value, r.id)],
            args=[revocation_value(r), r.expires_at, before],
            client=pipe,
        )

    async def revoke(self, revocation: Revocation) -> None:
        await self._write(self._redis, revocation)
        await self._announce([revocation])

    async def _announce(self, revocations: list[Revocation]) -> None:
        lines = (encode_revocation(r) for r in revocations)
        await channel.publish(self._redis, keys.REVOCATION_CHANNEL, self._sharded, lines)

    async def listen(
        self,
        on_subscribed: Callable[[], None],
        on_revocation: Callable[[Revocation], Awaitable[None]],
    ) -> None:
        """Passes on every revocation announced on the channel, until the subscription
        fails (raises the redis error: what was announced meanwhile is unknown)."""
        await channel.listen(
            self._redis,
            keys.REVOCATION_CHANNEL,
            self._sharded,
            decode_revocation,
            on_subscribed,
            on_revocation,
        )

    async def load(self) -> list[Revocation]:
        """Every unexpired revocation in Redis."""
        return [r async for batch in self.batches() for r in batch]

    async def batches(self, size: int = 2000) -> AsyncIterator[list[Revocation]]:
        """Every unexpired revocation in Redis, `size` keys at a time (SCAN, then one MGET
        each), so that a caller can bound each step and hold no more than a batch."""
        batch: list[str] = []
        async for key in self._redis.scan_iter(match=keys.REVOCATIONS + "*", count=size):
            batch.append(key)
            if len(batch) >= size:
                yield await self._read(batch)
                batch = []
        if batch:
            yield await self._read(batch)

    async def _read(self, batch: list[str]) -> list[Revocation]:
        values = await self._redis.mget(batch)
        out = []
        for key, value in zip(batch, values, strict=True):
            if value is not None:
                kind, id_ = key.removeprefix(keys.REVOCATIONS).split(":", 1)
                out.append(parse_revocation(kind, id_, value))
        return out

    async def write_back(self, revocations: Iterable[Revocation], batch: int = 1000) -> None:
        """Adds what Redis lacks or holds an older form of (a later cut-off), e.g. after it
        restarted empty, and announces it."""
        it = iter(revocations)
        while chunk := list(itertools.islice(it, batch)):
            await self.write_chunk(chunk)

    async def write_chunk(self, chunk: list[Revocation]) -> None:
        """One pipeline of `write_back`."""
        new = await write_each(self._redis, self._sharded, self._write, chunk)
        if new:
            # Announce them: instances that resynced before this write-back learn now.
            await self._announce(new)

    async def is_revoked(self, claims: TokenClaims) -> bool:
        ids: tuple[tuple[RevocationKind, str], ...] = (
            (RevocationKind.TOKEN, claims.jti),
            (RevocationKind.FAMILY, claims.fam),
            (RevocationKind.USER, claims.sub),
        )
        if claims.client_id is not None:
            ids = ((RevocationKind.TOKEN, claims.jti), (RevocationKind.CLIENT, claims.client_id))
        values = await self._redis.mget([keys.revocation(k.value, i) for k, i in ids])
        return any(
            value is not None and parse_revocation(kind.value, id_, value).covers(claims)
            for (kind, id_), value in zip(ids, values, strict=True)
        )
