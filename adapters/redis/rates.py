"""The Redis rate cache: the last fetched table as JSON in one key, shared by every process."""

import datetime
import json
import logging
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.redis import keys
from domain.money import decimal_text
from domain.rates import RateOrigin, RateTable

log = logging.getLogger("ballast.currency")


def table_json(table: RateTable) -> str:
    """Rates as decimal strings: a float never carries a rate, not even through Redis."""
    return json.dumps(
        {
            "base": table.base,
            "rates": {code: decimal_text(rate) for code, rate in sorted(table.rates.items())},
            "as_of": table.as_of.isoformat(),
            "source": table.source.value,
            "fetched_at": table.fetched_at,
            "feeds": list(table.feeds),
        }
    )


def table_from_json(raw: str) -> RateTable | None:
    """None for anything unreadable: a cache entry is never worth an error."""
    try:
        data = json.loads(raw)
        return RateTable(
            base=str(data["base"]),
            rates={str(code): Decimal(str(rate)) for code, rate in data["rates"].items()},
            as_of=datetime.date.fromisoformat(data["as_of"]),
            source=RateOrigin(data["source"]),
            fetched_at=float(data["fetched_at"]),
            feeds=tuple(str(feed) for feed in data.get("feeds", ())),
        )
    except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation) as e:
        log.warning("event=rates_cache_unreadable error=%s", type(e).__name__)
        return None


class RedisRateCache:
    """Plain: raises redis errors; the failover adapter decides what they mean."""

    def __init__(self, client: Any) -> None:
        self._redis = client

    async def get(self) -> RateTable | None:
        raw = await self._redis.get(keys.RATES)
        return None if raw is None else table_from_json(raw)

    async def put(self, table: RateTable, ttl: int) -> None:
        await self._redis.set(keys.RATES, table_json(table), ex=ttl)


class RedisRateHistoryStore:
    """Every published day in one hash (a full ECB history is ~7,000 fields, ~3 MB), so that
    all instances share what any of them fetched. Plain: raises redis errors."""

    BATCH = 500

    def __init__(self, client: Any) -> None:
        self._redis = client

    async def all(self) -> list[RateTable]:
        raw: dict[str, str] = await self._redis.hgetall(keys.RATES_HISTORY)
        tables = (table_from_json(value) for _, value in sorted(raw.items()))
        return [table for table in tables if table is not None]

    async def add(self, tables: Sequence[RateTable]) -> None:
        for start in range(0, len(tables), self.BATCH):
            batch = tables[start : start + self.BATCH]
            mapping = {t.as_of.isoformat(): table_json(t) for t in batch}
            await self._redis.hset(keys.RATES_HISTORY, mapping=mapping)
