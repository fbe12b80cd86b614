"""The Redis rate cache: the last fetched table as JSON in one key, shared by every process."""

import datetime
import json
import logging
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
