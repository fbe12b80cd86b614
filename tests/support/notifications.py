"""The one notification factory: a webhook notification with text and metadata that exercise
every encoder (quotes, new lines, non-ASCII, nesting); a test changes only what it is about."""

import time
from typing import Any

import attrs

from domain.notifications import Channel, Notification

NOW = time.time()


def notification(id_: str = "n1", *, at: float = NOW, **changes: Any) -> Notification:
    base = Notification(
        id=id_,
        recipient="alice",
        sender="billing",
        channel=Channel.WEBHOOK,
        subject=f"subject {id_}",
        body='body: ünïcödé, "quotes" and\nnew lines',
        created_at=at,
        updated_at=at,
        target="https://hooks.example.com/x",
        metadata={"order": 42, "tags": ["a", "b"], "nested": {"ok": True, "none": None}},
    )
    return attrs.evolve(base, **changes)
