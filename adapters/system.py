"""The real clock and id source."""

import secrets
import time


class SystemClock:
    def now(self) -> float:
        return time.time()


class RandomIds:
    """128 random bits, URL-safe: unguessable, so ids can double as capabilities."""

    def new_id(self) -> str:
        return secrets.token_urlsafe(16)
