"""The clients the client registry suites store."""

from typing import Any

import attrs

from domain.clients import Client


def client(client_id: str = "c1", **changes: Any) -> Client:
    base = Client(client_id, "billing", "hmac-sha256$k$d", frozenset({"users:read"}))
    return attrs.evolve(base, **changes)
