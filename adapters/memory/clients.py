"""The memory adapter of the client registry."""

from adapters.memory.sorted_map import SortedMap
from domain.clients import Client, ClientPage
from domain.ports import Clock
from domain.users import UserSource


class MemoryClientRegistry:
    """Clients by id; bounded so that a long outage cannot exhaust memory, and paged from
    the ids kept sorted (`SortedMap`, as the users are)."""

    def __init__(self, clock: Clock, max_clients: int = 100_000) -> None:
        self._clients: SortedMap[Client] = SortedMap(clock, max_clients, "client")

    async def get(self, client_id: str) -> Client | None:
        return self._clients.get(client_id)

    async def add(self, client: Client) -> None:
        self._clients.add(client.client_id, client)

    async def put(self, client: Client) -> None:
        self._clients.put(client.client_id, client)

    async def remove(self, client_id: str) -> None:
        self._clients.remove(client_id)

    async def page(self, limit: int, after: str | None) -> ClientPage:
        return ClientPage(*self._clients.page(limit, after))

    async def configured_ids(self) -> set[str]:
        return {c.client_id for c in self._clients.values() if c.source is UserSource.FILE}

    def all(self) -> list[Client]:
        """Every client: to write back to a Redis that lost them."""
        return list(self._clients.values())

    def __len__(self) -> int:
        return len(self._clients)

    @property
    def dropped(self) -> int:
        return self._clients.dropped
