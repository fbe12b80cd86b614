"""/status through the app in memory mode: the page, its headers and its assets."""

import asyncio
import re
from collections.abc import Iterable, Iterator

import pytest
from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric
from starlette.testclient import TestClient

from entrypoints.api.status_page import chart
from entrypoints.status_history import StatusHistory
from tests.support.apps import running_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with running_app() as c:
        yield c


def test_status_is_one_html_page_with_a_strict_policy_and_no_external_asset(
    client: TestClient,
) -> None:
    client.get("/api/currency/rates")
    page = client.get("/status")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe" not in csp
    assert 'data-mode="not_configured"' in page.text
    assert "<svg" in page.text
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", page.text)
    assert sorted(assets) == ["/status/status.css", "/status/status.js"]
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == csp
    assert "<script>" not in page.text  # no inline script
    assert " style=" not in page.text  # no inline style


def test_the_chart_draws_requests_and_errors_per_second_from_the_samples() -> None:
    now = [1000.0]
    history = StatusHistory(clock=lambda: now[0])
    for total, errors in [(0, 0), (50, 0), (150, 10)]:
        history.traffic.append((now[0], float(total), float(errors)))
        now[0] += 5

    rates = history.rates()
    svg = chart(rates, now[0])

    assert [(r, e) for _, r, e in rates] == [(10.0, 0.0), (20.0, 2.0)]
    assert svg.count("<polyline") == 2
    assert "now 20.00 requests/s, 2.00 5xx/s" in svg


def test_the_metrics_token_protects_status_as_it_protects_metrics() -> None:
    token = "scrape-token-1234567890"
    with running_app(metrics_token=token) as client:
        assert client.get("/status").status_code == 401
        wrong = client.get("/status", headers={"Authorization": "Bearer not-it"})
        assert wrong.status_code == 401
        page = client.get("/status", headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200
        assert 'id="status"' in page.text


class LoopWitness:
    """A collector that notes, each time it is read, whether it was read on an event loop."""

    def __init__(self) -> None:
        self.reads = 0
        self.on_loop = 0

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        self.reads += 1
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return []
        self.on_loop += 1
        return []


def test_the_metrics_are_never_read_on_the_event_loop(client: TestClient) -> None:
    witness = LoopWitness()
    REGISTRY.register(witness)  # type: ignore[arg-type]
    try:
        assert client.get("/status").status_code == 200
        assert client.get("/metrics").status_code == 200
        assert client.portal is not None
        client.portal.call(StatusHistory().sample)  # the page's 5 s sampler
    finally:
        REGISTRY.unregister(witness)  # type: ignore[arg-type]

    assert witness.reads == 3
    assert witness.on_loop == 0
