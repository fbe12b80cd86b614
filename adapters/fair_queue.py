"""A bounded queue that serves its clients in turn, so that one client's backlog delays
another client's work by at most one item of each client ahead of it, however long that
backlog is."""

from collections import OrderedDict, deque
from typing import Generic, TypeVar

T = TypeVar("T")


class FairQueue(Generic[T]):
    """Round robin across clients, FIFO within a client.

    A client holds at most `per_client` items and the queue at most `total`: `push` refuses
    beyond either (the caller answers at once instead of queueing), so neither one client nor
    many can grow it past `total`.
    """

    def __init__(self, per_client: int, total: int) -> None:
        self.per_client = per_client
        self.total = total
        # Clients with queued items, in the order they take their next turn.
        self._turns: OrderedDict[str, deque[T]] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def queued(self, client: str) -> int:
        items = self._turns.get(client)
        return 0 if items is None else len(items)

    def push(self, client: str, item: T) -> bool:
        """Queues the item behind the client's own; False (nothing queued) when full."""
        items = self._turns.get(client)
        if self._size >= self.total or (items is not None and len(items) >= self.per_client):
            return False
        if items is None:
            items = self._turns[client] = deque()  # a new client takes the last turn
        items.append(item)
        self._size += 1
        return True

    def pop(self) -> tuple[str, T] | None:
        """The oldest item of the client whose turn it is; that client's turn moves last."""
        if not self._turns:
            return None
        client, items = next(iter(self._turns.items()))
        item = items.popleft()
        self._size -= 1
        if items:
            self._turns.move_to_end(client)
        else:
            del self._turns[client]
        return client, item
