"""Applying the limits of one request."""

from collections.abc import Awaitable

import attrs

from domain.ports import ExactRateLimiter, RateLimiter
from domain.rate_limits import Limit, Quota, RateDecision


@attrs.define
class CheckRateLimits:
    """Counts a request against each limit in turn, stopping at the first refusal: a request
    refused by one limit is not counted against the next. Exact limits go to `exact`, the
    others to `limiter` (without Redis both are exact, in memory)."""

    limiter: RateLimiter
    exact: ExactRateLimiter

    async def __call__(self, limits: list[Limit]) -> tuple[Limit, RateDecision] | None:
        """The binding limit and decision: the refusal, or the one with the least left."""
        binding: tuple[Limit, RateDecision] | None = None
        for limit in limits:
            decision = await self.one(limit)
            if not decision.allowed:
                return limit, decision
            if binding is None or decision.remaining < binding[1].remaining:
                binding = limit, decision
        return binding

    def one(self, limit: Limit) -> Awaitable[RateDecision]:
        """A request under one limit. The limiter's own awaitable, not one more coroutine
        around it."""
        return (self.exact if limit.exact else self.limiter).hit(limit.key, limit.quota)

    def default(self, key: str, quota: Quota) -> Awaitable[RateDecision]:
        """A request under the default limit alone (nearly every request): no Limit to make
        or keep per client, so a new client costs the limiter's lookup and insert only."""
        return self.limiter.hit(key, quota)
