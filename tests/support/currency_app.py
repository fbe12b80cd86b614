"""The real app serving currency, with a cheap password hasher and, when given, a fake clock."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.testclient import TestClient

from domain.ports import Clock, PasswordHasher
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from tests.fakes import FakeClock, fast_hasher
from tests.support.apps import settings

TTL = 3600


@contextmanager
def currency_app(clock: FakeClock | None = None, **changes: Any) -> Iterator[TestClient]:
    overrides: dict[type, Any] = {PasswordHasher: fast_hasher()}
    if clock is not None:
        overrides[Clock] = clock
    container = bootstrap(settings(rates_ttl=TTL, **changes), overrides)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def rates(client: TestClient, base: str = "EUR") -> dict[str, Any]:
    response = client.get("/api/currency/rates", params={"base": base})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def convert(client: TestClient, amount: str, from_: str, to: str) -> dict[str, Any]:
    response = client.get(
        "/api/currency/convert", params={"amount": amount, "from": from_, "to": to}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
