"""Rate limits as values, and GCRA: the one algorithm every limiter adapter applies."""

import math

import attrs

# Absorbs float error in `remaining`, so 3/minute reads 2, 1, 0 and never 1.9999 -> 1.
EPSILON = 1e-9


@attrs.frozen
class RateDecision:
    """The answer for one request: allowed or not, and what to tell the client."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: float  # seconds until the whole quota is available again
    retry_after: float  # seconds until a request would be allowed (0 when allowed)


@attrs.frozen
class Quota:
    """`count` requests per `period` seconds, spread evenly (GCRA: no burst at window edges)."""

    count: int = attrs.field(validator=attrs.validators.ge(1))
    period: float = attrs.field(validator=attrs.validators.gt(0))
    # Seconds between two requests at the steady rate; computed once (read on every request).
    interval: float = attrs.field(init=False, eq=False, repr=False)
    # The answer to a request on a key at rest (all of the quota left): always the same, so
    # computed once. A client under its rate finds its key at rest at every request.
    at_rest: RateDecision = attrs.field(init=False, eq=False, repr=False)

    @interval.default
    def _interval(self) -> float:
        return self.period / self.count

    @at_rest.default
    def _at_rest(self) -> RateDecision:
        # Exactly count - 1 left (the float formula of `gcra` can read one or two fewer
        # for counts in the millions).
        return RateDecision(True, self.count, self.count - 1, self.interval, 0.0)

    def share(self, instances: int) -> "Quota":
        """This instance's part when `instances` enforce the limit each on their own."""
        return Quota(max(1, self.count // max(1, instances)), self.period)


@attrs.frozen
class Limit:
    """One limit that applies to a request: its name (for metrics), key and quota. An exact
    limit is decided where every instance's hits are counted (one round trip each); the
    others may be decided in process and shared later (see docs/RATE_LIMITS.md's bound)."""

    name: str
    key: str
    quota: Quota
    exact: bool = False


def gcra(tat: float | None, now: float, quota: Quota) -> tuple[float | None, RateDecision]:
    """One request against a key whose theoretical arrival time is `tat` (None: unseen).

    Returns the new arrival time to store (None when refused: nothing changes) and the decision.
    """
    if tat is None or tat <= now:
        return now + quota.interval, quota.at_rest
    new_tat = tat + quota.interval
    allow_at = new_tat - quota.period
    if allow_at > now + EPSILON:
        return None, RateDecision(False, quota.count, 0, tat - now, allow_at - now)
    remaining = math.floor((quota.period - (new_tat - now)) / quota.interval + EPSILON)
    return new_tat, RateDecision(True, quota.count, max(0, remaining), new_tat - now, 0.0)


def remaining_at(tat: float, now: float, quota: Quota) -> int:
    """How many requests a key whose arrival time is `tat` would allow at `now`."""
    ahead = max(tat, now) - now
    return max(0, math.floor((quota.period - ahead) / quota.interval + EPSILON))
