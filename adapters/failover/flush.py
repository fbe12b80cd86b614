"""At stop, writes still in the journal go to Redis if it answers (bounded): the journal
lives in this process and would end with it. Only the replay runs, not the recovery hooks
(they would start the revocation feed again)."""

import asyncio
import logging

from adapters.failover.recovery import Recovery, recovering_calls
from adapters.failover.redis_errors import FLUSH_ERRORS

log = logging.getLogger("ballast.failover")
# At stop, how long writes still in the journal may take to reach Redis.
FLUSH_WITHIN = 5.0


async def flush_at_stop(recovery: Recovery) -> None:
    journal = recovery.journal
    pending = len(journal)
    try:
        with recovering_calls():
            async with asyncio.timeout(FLUSH_WITHIN):
                await recovery.fresh_connections()
                if await recovery.ping():
                    await recovery.replay()
    except FLUSH_ERRORS as e:
        log.warning("event=journal_flush_failed error=%s", type(e).__name__)
    if len(journal):
        log.error("event=journal_lost_at_stop pending=%d", len(journal))
    else:
        log.info("event=journal_flushed_at_stop replayed=%d", pending)
