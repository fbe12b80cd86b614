"""Currency over HTTP through the real app: live, cache and fallback sources, stale marking,
exact results, and 422 problems for bad input."""

from decimal import Decimal

import pytest

from adapters.fallback_rates import fallback_table
from entrypoints.api.currency_shapes import AMOUNT_MESSAGE, CODE_MESSAGE
from tests.fakes import FakeClock
from tests.feed_server import DAY_RATES, FeedServer, dead_url, ecb_document
from tests.support.currency_app import TTL, convert, currency_app, rates
from tests.support.waiting import eventually


def test_with_the_feed_up_rates_are_live_and_fresh(feed: FeedServer) -> None:
    with currency_app(rates_urls=(feed.url,)) as client:
        body = rates(client, "usd")
    assert body["base"] == "USD"
    assert body["source"] == "live"
    assert body["stale"] is False
    assert body["as_of"] == "2026-11-24"
    assert body["rates"]["USD"] == "1"
    assert body["rates"]["EUR"] == "0.9458053533"
    assert all(isinstance(rate, str) for rate in body["rates"].values())


def test_convert_shows_the_rate_of_rates_and_a_result_a_client_can_reproduce(
    feed: FeedServer,
) -> None:
    with currency_app(rates_urls=(feed.url,)) as client:
        shown = rates(client, "USD")["rates"]["JPY"]
        body = convert(client, "10.50", "usd", "jpy")
    assert body == {
        "amount": "10.50",
        "from": "USD",
        "to": "JPY",
        "rate": shown,
        "result": "1618",
        "as_of": "2026-11-24",
        "source": "live",
        "stale": False,
    }
    assert Decimal(body["result"]) == (Decimal("10.50") * Decimal(shown)).quantize(Decimal(1))


def test_with_the_feed_down_the_built_in_table_is_served_as_stale() -> None:
    with currency_app(rates_urls=(dead_url(),)) as client:
        body = rates(client)
        conversion = convert(client, "100", "EUR", "USD")
    assert body["source"] == "fallback"
    assert body["stale"] is True
    built_in = fallback_table()
    assert body["as_of"] == built_in.as_of.isoformat()
    assert conversion["source"] == "fallback"
    assert conversion["stale"] is True
    assert Decimal(conversion["result"]) == (100 * built_in.rates["USD"]).quantize(Decimal("0.01"))


def test_without_a_feed_or_redis_conversion_still_works() -> None:
    with currency_app() as client:
        body = convert(client, "1000", "jpy", "gbp")
    built_in = fallback_table()
    assert body["source"] == "fallback"
    assert body["rate"] == str(built_in.rate("JPY", "GBP"))
    assert Decimal(body["result"]) == (1000 * built_in.rate("JPY", "GBP")).quantize(Decimal("0.01"))


def test_a_stale_table_is_served_marked_stale_then_refreshed_in_the_background(
    feed: FeedServer,
) -> None:
    clock = FakeClock()
    with currency_app(clock, rates_urls=(feed.url,)) as client:
        assert rates(client)["stale"] is False
        fetched = feed.requests
        clock.advance(TTL + 1)
        stale = rates(client)
        assert stale["stale"] is True
        assert stale["source"] == "live"
        assert eventually(lambda: rates(client)["stale"] is False)
    assert feed.requests == fetched + 1


def test_when_the_feed_fails_the_last_good_table_is_kept(feed: FeedServer) -> None:
    clock = FakeClock()
    with currency_app(clock, rates_urls=(feed.url,)) as client:
        good = rates(client)
        feed.status = 500
        clock.advance(TTL + 1)
        rates(client)
        assert eventually(lambda: feed.requests >= 2)
        after = rates(client)
    assert after["source"] == "live"
    assert after["stale"] is True
    assert after["rates"] == good["rates"]


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"amount": "10", "from": "USD", "to": "ZZZ"}, [("to", CODE_MESSAGE)]),
        ({"amount": "-5", "from": "USD", "to": "EUR"}, [("amount", AMOUNT_MESSAGE)]),
        ({"amount": "ten", "from": "USD", "to": "EUR"}, [("amount", AMOUNT_MESSAGE)]),
        ({"amount": "1" * 16, "from": "USD", "to": "EUR"}, [("amount", AMOUNT_MESSAGE)]),
        ({"amount": "1." + "1" * 19, "from": "USD", "to": "EUR"}, [("amount", AMOUNT_MESSAGE)]),
        ({"amount": "9" * 500, "from": "USD", "to": "EUR"}, [("amount", AMOUNT_MESSAGE)]),
        ({"amount": " 10", "from": "USD", "to": "EUR"}, [("amount", AMOUNT_MESSAGE)]),
        ({"from": "usd"}, [("amount", "is required"), ("to", "is required")]),
        # A real ISO 4217 currency, but no rate is quoted for it.
        ({"amount": "1", "from": "AFN", "to": "EUR"}, [("from", "no exchange rate for AFN")]),
        ({"amount": "1", "from": "", "to": "eUr"}, [("from", CODE_MESSAGE)]),
    ],
)
def test_bad_conversions_are_422_problems_naming_the_field(
    params: dict[str, str], errors: list[tuple[str, str]]
) -> None:
    with currency_app() as client:
        response = client.get("/api/currency/convert", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == errors


def test_an_unknown_base_is_a_422_problem() -> None:
    with currency_app() as client:
        response = client.get("/api/currency/rates", params={"base": "EURO"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "base"


def test_the_currency_routes_are_described_in_openapi() -> None:
    with currency_app() as client:
        paths = client.get("/openapi.json").json()["paths"]
    convert = paths["/api/currency/convert"]["get"]
    convert_parameters = {p["name"] for p in convert["parameters"] if p["in"] == "query"}
    assert convert_parameters == {"amount", "from", "to", "date"}
    assert "security" not in paths["/api/currency/rates"]["get"]


def test_rates_bodies_and_etags_are_rendered_once_per_table_and_base() -> None:
    with currency_app() as client:
        first = client.get("/api/currency/rates?base=USD")
        again = client.get("/api/currency/rates?base=usd")
        assert again.content == first.content and again.headers["ETag"] == first.headers["ETag"]
        other = client.get("/api/currency/rates?base=GBP")
        assert other.headers["ETag"] != first.headers["ETag"]
        assert other.json()["base"] == "GBP"


def test_a_query_asked_again_reads_as_the_first_time_and_only_for_its_own_route() -> None:
    convert = "/api/currency/convert?amount=10.50&from=USD&to=EUR"
    refused = "/api/currency/convert?amount=-1&from=usd&to=EURO"
    with currency_app() as client:
        first, again = client.get(convert), client.get(convert)
        bad, bad_again = client.get(refused), client.get(refused)
        rates = client.get("/api/currency/rates?base=USD")
        # The same query string on another route is read by that route's own shape.
        other = client.get("/api/currency/convert?base=USD")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert bad.status_code == bad_again.status_code == 422
    assert bad_again.json()["errors"] == bad.json()["errors"]
    assert len(bad.json()["errors"]) >= 2
    assert rates.status_code == 200 and rates.json()["base"] == "USD"
    assert other.status_code == 422
    assert {e["field"] for e in other.json()["errors"]} >= {"amount", "from", "to"}


def test_a_long_query_is_answered_but_not_kept() -> None:
    short = "/api/currency/convert?amount=10&from=USD&to=EUR"
    long = short + "&note=" + "x" * 4000  # a parameter no shape reads
    with currency_app() as client:
        route = next(r for r in client.app.router.routes if r.path == "/api/currency/convert")
        endpoint = route.endpoint
        assert client.get(short).status_code == 200
        assert client.get(long).status_code == 200
        assert client.get(long).json() == client.get(short).json()

    assert len(endpoint._queries) == 1
    assert b"amount=10&from=USD&to=EUR" in endpoint._queries


def test_a_conversion_asked_again_answers_the_same_until_its_table_changes(
    feed: FeedServer,
) -> None:
    clock = FakeClock()
    url = "/api/currency/convert?amount=10&from=EUR&to=USD"
    with currency_app(clock, rates_urls=(feed.url,)) as client:
        first = client.get(url)
        again = client.get(url)
        assert again.content == first.content and again.headers["ETag"] == first.headers["ETag"]
        feed.body = ecb_document({"2026-11-25": {**DAY_RATES, "USD": "2"}})
        clock.advance(TTL + 1)
        assert client.get(url).json()["stale"] is True  # not the body kept from before
        assert eventually(lambda: client.get(url).json()["stale"] is False)
        assert client.get(url).json()["result"] == "20.00"
        assert first.json()["result"] != "20.00"
