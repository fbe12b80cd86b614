"""The client registry in Redis: one hash of versioned records, announced on a channel.

A record is a client, or a tombstone (a deleted client): each carries the version (time) of
the change, and a record replaces another only when newer, so that writes replayed after an
outage, write-backs and announcements arriving in any order settle on the same registry,
and a deleted client is never brought back by an instance that still held it.
"""

import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from adapters.redis import channel, keys
from adapters.redis.scripts import is_cluster, write_each
from domain.clients import Client
from domain.users import UserSource


@attrs.frozen
class ClientRecord:
    """A client as replicated: `client` None is a tombstone."""

    client_id: str
    version: float
    client: Client | None


def encode_record(record: ClientRecord) -> str:
    c = record.client
    body: dict[str, Any] | None = None
    if c is not None:
        body = {
            "name": c.name,
            "secret_hash": c.secret_hash,
            "scopes": sorted(c.scopes),
            "audience": c.audience,
            "disabled": c.disabled,
            "created_at": c.created_at,
            "source": c.source.value,
            "previous_hash": c.previous_hash,
            "previous_until": c.previous_until,
        }
    payload = json.dumps({"id": record.client_id, "client": body}, separators=(",", ":"))
    return f"{record.version!r}|{payload}"


def decode_record(raw: str) -> ClientRecord:
    """Raises ValueError for anything this version did not write."""
    version, _, payload = raw.partition("|")
    try:
        data = json.loads(payload)
        body = data["client"]
        client = None
        if body is not None:
            client = Client(
                client_id=str(data["id"]),
                name=str(body["name"]),
                secret_hash=str(body["secret_hash"]),
                scopes=frozenset(str(s) for s in body["scopes"]),
                audience=body["audience"],
                disabled=bool(body["disabled"]),
                created_at=float(body["created_at"]),
                source=UserSource(body["source"]),
                previous_hash=body["previous_hash"],
                previous_until=float(body["previous_until"]),
            )
        return ClientRecord(str(data["id"]), float(version), client)
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ValueError("not a client record") from e


# Writes the record when it is newer than the one held; 1 when it wrote.
PUT = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local held = tonumber(string.match(current, '^([^|]*)|'))
  if held and held >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


class RedisClientRegistry:
    def __init__(self, client: Any) -> None:
        self._redis = client
        self._sharded = is_cluster(client)
        self._put = client.register_script(PUT)

    def _write(self, pipe: Any, record: ClientRecord) -> Any:
        return self._put(
            keys=[keys.CLIENTS],
            args=[record.client_id, encode_record(record), repr(record.version)],
            client=pipe,
        )

    async def put(self, record: ClientRecord) -> None:
        if await self._write(self._redis, record):
            await self._announce([record])

    async def load(self) -> list[ClientRecord]:
        raw: dict[str, str] = await self._redis.hgetall(keys.CLIENTS)
        out = []
        for value in raw.values():
            with contextlib.suppress(ValueError):
                out.append(decode_record(value))
        return out

    async def forget(self, client_ids: list[str]) -> None:
        """Drops old tombstones."""
        if client_ids:
            await self._redis.hdel(keys.CLIENTS, *client_ids)

    async def write_back(self, records: list[ClientRecord]) -> None:
        """Writes what Redis lacks or holds an older version of, and announces it."""
        if not records:
            return
        new = await write_each(self._redis, self._sharded, self._write, records)
        if new:
            await self._announce(new)

    async def _announce(self, records: list[ClientRecord]) -> None:
        lines = (encode_record(r) for r in records)
        await channel.publish(self._redis, keys.CLIENT_CHANNEL, self._sharded, lines)

    async def listen(
        self,
        on_subscribed: Callable[[], None],
        on_record: Callable[[ClientRecord], Awaitable[None]],
    ) -> None:
        """Passes on every record announced, until the subscription fails (raises)."""
        await channel.listen(
            self._redis, keys.CLIENT_CHANNEL, self._sharded, decode_record, on_subscribed, on_record
        )
