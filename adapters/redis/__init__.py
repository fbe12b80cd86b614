"""Redis adapters (redis.asyncio). They raise redis errors; the failover layer handles them."""
