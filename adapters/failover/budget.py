"""One request's Redis budget: however many Redis calls a request makes, it waits on Redis one
command timeout in total at most; after that (after its first timeout, at the latest) its
remaining calls go straight to the fallbacks."""

import contextvars

# Set per HTTP request (by the edge middleware). None in background work: no budget.
_current: contextvars.ContextVar["RedisBudget | None"] = contextvars.ContextVar(
    "redis_budget", default=None
)


class RedisBudget:
    """`with RedisBudget() as budget:` makes `budget` the budget of every Redis call made
    inside. A class, not a generator: entered on every HTTP request, and a generator's
    context manager costs several times more."""

    __slots__ = ("_token", "spent")

    def __init__(self) -> None:
        self.spent = 0.0  # seconds waited on Redis so far

    def __enter__(self) -> "RedisBudget":
        self._token = _current.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _current.reset(self._token)

    @staticmethod
    def current() -> "RedisBudget | None":
        return _current.get()
