"""Conversion at a date, and a currency to itself, through the real app: from the built-in
history with no feed at all, from a history feed across a weekend, and refused dates."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

from adapters.fallback_rates import builtin_history
from tests.fakes import FakeClock
from tests.feed_server import FeedServer, ecb_document
from tests.support.apps import assert_problem
from tests.support.currency_app import currency_app

FRIDAY, SATURDAY, SUNDAY, MONDAY = "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"
# The clock at Monday 2026-11-30, 12:00 UTC
NOW = datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC).timestamp()


def get(client: TestClient, path: str, **params: str) -> Any:
    return client.get(f"/api/currency/{path}", params=params)


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_without_any_feed_a_date_is_converted_from_the_built_in_history() -> None:
    day = builtin_history()[100]  # a day the ECB published, early 1999
    with currency_app(FakeClock(NOW)) as client:
        body = ok(
            get(
                client,
                "convert",
                amount="100",
                to="USD",
                date=day.as_of.isoformat(),
                **{"from": "EUR"},
            )
        )
    assert body["as_of"] == day.as_of.isoformat()
    assert (body["source"], body["stale"]) == ("fallback", False)
    assert Decimal(body["rate"]) == day.rates["USD"]
    assert Decimal(body["result"]) == (100 * day.rates["USD"]).quantize(Decimal("0.01"))


def test_a_weekend_is_answered_with_the_friday_before(feed: FeedServer) -> None:
    feed.body = ecb_document({FRIDAY: {"USD": "1.0500"}, MONDAY: {"USD": "1.0600"}})
    with currency_app(FakeClock(NOW), rates_urls=(feed.url,)) as client:
        by_day = {
            day: ok(get(client, "convert", amount="10", to="USD", date=day, **{"from": "EUR"}))
            for day in (FRIDAY, SATURDAY, SUNDAY, MONDAY)
        }
        table = ok(get(client, "rates", base="USD", date=SUNDAY))
    assert [by_day[d]["as_of"] for d in (FRIDAY, SATURDAY, SUNDAY, MONDAY)] == [
        FRIDAY,
        FRIDAY,
        FRIDAY,
        MONDAY,
    ]
    assert [by_day[d]["result"] for d in (SATURDAY, MONDAY)] == ["10.50", "10.60"]
    assert by_day[SUNDAY]["source"] == "live"
    assert (table["as_of"], table["rates"]["EUR"]) == (FRIDAY, "0.9523809524")


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2026-12-01", "is in the future"),
        ("1998-12-31", "is before the first published rates (rates start on 1999-01-04)"),
        ("2026-02-30", "must be a date as YYYY-MM-DD"),
        ("20261120", "must be a date as YYYY-MM-DD"),
        ("yesterday", "must be a date as YYYY-MM-DD"),
    ],
)
@pytest.mark.parametrize("path", ["convert", "rates"])
def test_a_date_outside_the_history_is_a_422_on_date(path: str, date: str, message: str) -> None:
    params = {"amount": "1", "from": "EUR", "to": "USD"} if path == "convert" else {}
    with currency_app(FakeClock(NOW)) as client:
        body = assert_problem(get(client, path, date=date, **params), 422)
    assert {"field": "date", "message": message} in body["errors"] or any(
        e["field"] == "date" and e["message"].startswith(message) for e in body["errors"]
    )


@pytest.mark.parametrize(
    ("code", "amount", "result"),
    [
        ("KWD", "1.2345", "1.234"),
        ("XOF", "1000.5", "1000"),
        ("CLP", "12.5", "12"),
        ("EUR", "1", "1.00"),
    ],
)
def test_a_currency_to_itself_needs_no_table(code: str, amount: str, result: str) -> None:
    with currency_app(FakeClock(NOW)) as client:
        body = ok(get(client, "convert", amount=amount, to=code, **{"from": code}))
    assert (body["rate"], body["result"]) == ("1", result)


def test_a_currency_to_another_still_needs_the_table() -> None:
    with currency_app(FakeClock(NOW)) as client:
        body = assert_problem(get(client, "convert", amount="1", to="EUR", **{"from": "KWD"}), 422)
    assert body["errors"] == [{"field": "from", "message": "no exchange rate for KWD"}]
