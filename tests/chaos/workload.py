"""A small mixed workload over one or more app instances, run while a fault happens, and
the promises checked after it: no 5xx, revoked stays revoked, nothing accepted is lost."""

import itertools
from collections import Counter
from typing import Any

import attrs
from starlette.testclient import TestClient

from tests.support.apps import bearer, login

NOTE = {"recipient": "admin", "channel": "log", "subject": "s", "body": "b"}


@attrs.define
class Workload:
    """Round-robin over `apps`: read with a kept token, log in and out, send a notification.
    Remembers every token it revoked and every notification it was told was accepted."""

    apps: list[TestClient]
    refresh: bool = False  # also refresh the tokens between login and logout
    kept: dict[str, Any] = attrs.field(init=False)
    statuses: Counter[int] = attrs.field(factory=Counter)
    revoked: list[dict[str, Any]] = attrs.field(factory=list)
    accepted: list[str] = attrs.field(factory=list)
    _turn: Any = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.kept = login(self.apps[0])
        self._turn = itertools.cycle(self.apps)

    def step(self) -> None:
        app = next(self._turn)
        self._count(app.get("/api/auth/me", headers=bearer(self.kept)))
        tokens = app.post(
            "/api/auth/login", json={"username": "admin", "password": "admin-password"}
        )
        self._count(tokens)
        if tokens.status_code == 200 and self.refresh:
            body = {"refresh_token": tokens.json()["refresh_token"]}
            tokens = app.post("/api/auth/refresh", json=body)
            self._count(tokens)
        if tokens.status_code == 200:
            out = app.post("/api/auth/logout", headers=bearer(tokens.json()))
            self._count(out)
            if out.status_code == 204:
                self.revoked.append(tokens.json())
        sent = app.post("/api/notifications", json=NOTE, headers=bearer(self.kept))
        self._count(sent)
        if sent.status_code in (200, 202):
            self.accepted.append(sent.json()["id"])

    def _count(self, response: Any) -> None:
        self.statuses[response.status_code // 100 * 100] += 1

    @property
    def server_errors(self) -> int:
        return self.statuses[500]

    def revoked_accepted(self) -> int:
        """Revoked tokens some instance still accepts."""
        return sum(
            app.get("/api/auth/me", headers=bearer(t)).status_code != 401
            for t in self.revoked
            for app in self.apps
        )

    def accepted_missing(self) -> int:
        """Accepted notifications that no longer read back, through any instance."""
        return sum(
            app.get(f"/api/notifications/{n}", headers=bearer(self.kept)).status_code != 200
            for n, app in zip(self.accepted, itertools.cycle(self.apps), strict=False)
        )
