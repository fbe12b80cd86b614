"""What the bounded memory adapters had to drop: counted, never silent (/health, /metrics)."""

from typing import Protocol

import attrs


class Bounded(Protocol):
    """A memory adapter that drops its oldest entries when full, and counts them."""

    @property
    def dropped(self) -> int: ...


@attrs.define
class DroppedEntries:
    """Every bounded memory adapter in use, by store name."""

    stores: dict[str, Bounded] = attrs.Factory(dict)

    def watch(self, name: str, store: object) -> None:
        """Adds `store` if it counts what it drops (not every memory adapter is bounded)."""
        if isinstance(getattr(store, "dropped", None), int):
            self.stores[name] = store  # type: ignore[assignment]

    def totals(self) -> dict[str, int]:
        return {name: store.dropped for name, store in self.stores.items()}

    def nonzero(self) -> dict[str, int]:
        return {name: count for name, count in self.totals().items() if count}
