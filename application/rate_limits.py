"""Applying the limits of one request."""

import attrs

from domain.ports import RateLimiter
from domain.rate_limits import Limit, RateDecision


@attrs.define
class CheckRateLimits:
    """Counts a request against each limit in turn, stopping at the first refusal: a request
    refused by one limit is not counted against the next."""

    limiter: RateLimiter

    async def __call__(self, limits: list[Limit]) -> tuple[Limit, RateDecision] | None:
        """The binding limit and decision: the refusal, or the one with the least left."""
        binding: tuple[Limit, RateDecision] | None = None
        for limit in limits:
            decision = await self.limiter.hit(limit.key, limit.quota)
            if not decision.allowed:
                return limit, decision
            if binding is None or decision.remaining < binding[1].remaining:
                binding = limit, decision
        return binding
