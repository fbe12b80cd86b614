"""The memory adapter of the client registry."""

from adapters.memory.ttl_map import TtlMap
from domain.clients import Client, ClientPage
from domain.errors import ConflictError
from domain.ports import Clock
from domain.users import UserSource


class MemoryClientRegistry:
    """Clients by id; bounded so that a long outage cannot exhaust memory."""

    def __init__(self, clock: Clock, max_clients: int = 100_000) -> None:
        self._clients: TtlMap[Client] = TtlMap(clock, max_clients)

    async def get(self, client_id: str) -> Client | None:
        return self._clients.get(client_id)

    async def add(self, client: Client) -> None:
        if self._clients.get(client.client_id) is not None:
            raise ConflictError("client", client.client_id)
        self._clients.set(client.client_id, client)

    async def put(self, client: Client) -> None:
        self._clients.set(client.client_id, client)

    async def remove(self, client_id: str) -> None:
        self._clients.pop(client_id)

    async def page(self, limit: int, after: str | None) -> ClientPage:
        ids = sorted(i for i, _, _ in self._clients.live_items() if after is None or i > after)
        page = ids[:limit]
        items = tuple(c for c in (self._clients.get(i) for i in page) if c is not None)
        return ClientPage(items, page[-1] if len(ids) > limit else None)

    async def configured_ids(self) -> set[str]:
        return {i for i, c, _ in self._clients.live_items() if c.source is UserSource.FILE}

    def all(self) -> list[Client]:
        """Every client: to write back to a Redis that lost them."""
        return [c for _, c, _ in self._clients.live_items()]

    def __len__(self) -> int:
        return len(self._clients)

    @property
    def dropped(self) -> int:
        return self._clients.dropped
