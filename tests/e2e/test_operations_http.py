"""HTTP caching, request ids, request logs, metrics and docs, through the real app."""

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from application.currency.rates_service import RatesService
from application.notifications.delivery import DeliveryWorker
from domain.ports import Clock, PasswordHasher, RateSource
from entrypoints.access_log import AccessLog
from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.metrics import StateExporter
from entrypoints.settings import RateLimit, Settings
from tests.currency_fakes import FakeRateFeed, table
from tests.fakes import FakeClock, fast_hasher
from tests.support.apps import assert_problem, running_app
from tests.support.metrics import scraped

TTL = 60


@pytest.fixture
def world() -> Iterator[tuple[TestClient, FakeRateFeed, FakeClock, Any]]:
    feed, clock = FakeRateFeed(), FakeClock()
    container = bootstrap(
        Settings(admin_password="admin-password", rates_ttl=TTL),
        {PasswordHasher: fast_hasher(), RateSource: feed, Clock: clock},
    )
    with TestClient(create_app(container)) as client:
        yield client, feed, clock, container


def test_rates_carry_an_etag_and_a_matching_one_gets_304(world: Any) -> None:
    client, *_ = world
    first = client.get("/api/currency/rates?base=USD")
    etag = first.headers["ETag"]
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get("/api/currency/rates?base=USD", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    weak = client.get("/api/currency/rates?base=USD", headers={"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    other = client.get("/api/currency/rates?base=EUR", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_the_etag_changes_when_the_rates_change(world: Any) -> None:
    client, feed, clock, container = world
    url = "/api/currency/convert?amount=10&from=EUR&to=USD"
    before = client.get(url)
    assert before.status_code == 200 and "ETag" in before.headers
    feed.answer = table({**{"USD": "1.2000"}, "JPY": "160.00"})
    clock.advance(TTL + 1)
    client.portal.call(container.resolve(RatesService).refresh)
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.json()["rate"] == "1.2"
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_well_formed_request_id_is_echoed_and_a_bad_one_replaced(world: Any) -> None:
    client, *_ = world
    assert client.get("/health", headers={"X-Request-ID": "abc.123_X-y"}).headers[
        "X-Request-ID"
    ] == ("abc.123_X-y")
    replaced = client.get("/health", headers={"X-Request-ID": "bad id; <script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/nowhere").headers["X-Request-ID"])


def test_one_log_line_per_request_with_the_route_template_and_no_secrets(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client, _, _, container = world
    caplog.set_level(logging.INFO, logger="ballast.access")
    tokens = client.post(
        "/api/auth/login", json={"username": "admin", "password": "admin-password"}
    ).json()
    client.get("/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    client.get("/api/notifications/some-id-123", headers={"X-Request-ID": "req-42"})
    container.resolve(AccessLog).flush()  # written by a background thread, a batch at a time
    lines = [r.getMessage() for r in caplog.records if r.name == "ballast.access"]
    assert len(lines) == 3
    assert re.fullmatch(
        r"event=request method=POST route=/api/auth/login status=200 duration_ms=[\d.]+ "
        r"request_id=[0-9a-f]{32} client=testclient subject=",
        lines[0],
    )
    assert "subject=admin" in lines[1]
    assert "route=/api/notifications/{id} status=401" in lines[2]
    assert "request_id=req-42" in lines[2]
    everything = "\n".join(lines)
    assert tokens["access_token"] not in everything
    assert "admin-password" not in everything and "some-id-123" not in everything


def test_metrics_show_requests_by_route_template_and_status(world: Any) -> None:
    client, *_ = world
    series = (
        'ballast_http_requests_total{method="GET",route="/api/notifications/{id}",status="401"}'
    )

    def count() -> float:
        # The registry is the process's: other tests' requests count too, hence the difference.
        lines = client.get("/metrics").text.splitlines()
        return sum(float(line.rpartition(" ")[2]) for line in lines if line.startswith(series))

    before = count()
    client.get("/api/notifications/first-id")
    client.get("/api/notifications/second-id")
    client.get("/api/currency/rates")
    text = client.get("/metrics").text
    assert count() == before + 2
    assert 'route="/api/currency/rates",status="200"' in text
    assert "ballast_http_request_duration_seconds_bucket" in text
    assert "first-id" not in text


def test_rate_limit_rejections_are_counted() -> None:
    settings = Settings(admin_password="admin-password", rate_limit=RateLimit(1, 3600))
    with TestClient(create_app(bootstrap(settings))) as client:
        name = 'ballast_rate_limit_rejections_total{limit="default"}'
        before = scraped(client, name)
        client.get("/api/auth/me")
        client.get("/api/auth/me")
        assert scraped(client, name) == before + 1


def test_docs_are_served_with_their_assets(world: Any) -> None:
    client, *_ = world
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assets = re.findall(r'(?:src|href)="(/docs/[^"]+)"', page.text)
    assert len(assets) >= 3
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100
    assert "http" not in " ".join(assets)


@pytest.mark.parametrize(
    "path",
    [
        "/docs/assets/oauth2-redirect.html",
        "/docs/assets/index.html",
        "/docs/assets/swagger-initializer.js",
        "/docs/assets/swagger-editor-bundle.js.map",
        "/docs/assets/swagger-ui.js",
        "/docs/assets/LICENSE",
        "/docs/assets/..%2F__init__.py",
        "/docs/assets/",
    ],
)
def test_docs_assets_serve_only_what_the_page_loads(world: Any, path: str) -> None:
    client, *_ = world
    response = client.get(path)
    assert response.status_code == 404, path
    assert response.headers["content-type"].startswith("application/problem+json")


def test_openapi_describes_every_route(world: Any) -> None:
    client, *_ = world
    spec = client.get("/openapi.json").json()
    app = client.app
    for route in app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Mount) or route.path.startswith("/docs/"):
            continue  # the docs page's own assets
        assert isinstance(route, Route)
        described = spec["paths"].get(route.path)
        assert described is not None, route.path
        for method in route.methods or ():
            if method == "HEAD":
                continue
            op = described[method.lower()]
            assert op["responses"], (route.path, method)
            if route.path.startswith("/api/"):
                assert "429" in op["responses"], (route.path, method)


def test_notification_deliveries_are_counted_by_channel_and_outcome(world: Any) -> None:
    client, _, _, container = world
    name = 'ballast_notification_deliveries_total{channel="log",outcome="sent"}'
    before = scraped(client, name)
    tokens = client.post(
        "/api/auth/login", json={"username": "admin", "password": "admin-password"}
    ).json()
    sent = client.post(
        "/api/notifications",
        json={"recipient": "alice", "channel": "log", "subject": "Hi", "body": "text"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert sent.status_code == 202
    client.portal.call(container.resolve(DeliveryWorker).drain)
    assert scraped(client, name) == before + 1


def test_openapi_documents_caching_rate_limits_and_outages(world: Any) -> None:
    client, *_ = world
    paths = client.get("/openapi.json").json()["paths"]
    rates = paths["/api/currency/rates"]["get"]
    assert "304" in rates["responses"]
    assert "ETag" in rates["responses"]["200"]["headers"]
    assert "RateLimit-Remaining" in rates["responses"]["200"]["headers"]
    assert "Retry-After" in rates["responses"]["429"]["headers"]
    assert any(p["name"] == "If-None-Match" for p in rates["parameters"])
    assert "503" in paths["/api/auth/login"]["post"]["responses"]
    assert paths["/api/auth/logout"]["post"]["requestBody"]["required"] is False
    assert "429" not in paths["/health"]["get"]["responses"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong-token"}, 401),
        ({"Authorization": "Bearer metrics-scrape-token-of-some-length-x"}, 401),
        ({"Authorization": "Basic bWV0cmljczp4"}, 401),
        ({"Authorization": "Bearer metrics-scrape-token-of-some-length"}, 200),
        ({"Authorization": "bearer metrics-scrape-token-of-some-length"}, 200),
    ],
)
def test_a_metrics_token_closes_metrics_to_anyone_without_it(
    headers: dict[str, str], status: int
) -> None:
    with running_app(metrics_token="metrics-scrape-token-of-some-length") as client:
        response = client.get("/metrics", headers=headers)
    if status == 200:
        assert response.status_code == 200
        assert "ballast_http_requests" in response.text
    else:
        body = assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "ballast_" not in body["detail"]


def test_metrics_stay_open_without_a_metrics_token() -> None:
    with running_app() as client:
        assert client.get("/metrics").status_code == 200


def test_the_caches_show_how_many_entries_they_hold(world: Any) -> None:
    client, _, _, container = world
    name = 'ballast_cache_entries{cache="rendered_conversions"}'
    for amount in ("1", "2", "3"):
        assert client.get(f"/api/currency/convert?amount={amount}&from=EUR&to=USD").is_success
    client.portal.call(container.resolve(StateExporter).sync)
    # Every live app of this process is counted: at least this one's three.
    assert scraped(client, name) >= 3
