"""One Redis budget per HTTP request: however many Redis calls a request makes, it waits on
Redis one command timeout in total at most; after that (after its first timeout, at the
latest) its remaining calls go straight to the fallbacks.

The edge middleware (edge.py) opens one around the request, so the budget is set in the
context its calls run in. The budget itself is the failover layer's (RedisBudget); the
composition root hands over how to open one.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager

import attrs


@attrs.frozen
class RedisBudgets:
    """Opens one request's Redis budget for the code that runs inside it."""

    open: Callable[[], AbstractContextManager[object]]
