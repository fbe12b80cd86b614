"""The adapter a contract suite runs against, picked by the kind of backend."""

from collections.abc import Callable
from typing import Any

import attrs

from adapters.failover.link import RedisLink


@attrs.define
class Backend:
    kind: str
    client: Any = None
    link: RedisLink | None = None

    def pick(
        self,
        memory: Callable[[], Any],
        redis: Callable[[Any], Any],
        failover: Callable[[RedisLink], Any],
    ) -> Any:
        if self.kind == "memory":
            return memory()
        if self.kind == "redis":
            return redis(self.client)
        assert self.link is not None
        return failover(self.link)
