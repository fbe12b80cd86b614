"""Whatever method, path and headers a client sends, to whichever route, the metrics' labels
take only known values, and made-up methods add no series to /metrics."""

import re
import string
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from entrypoints.access_log import METHODS, OTHER
from entrypoints.http.edge import UNMATCHED
from tests.support.apps import running_app

TOKEN = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
HTTP_METRICS = ("ballast_http_requests_total", "ballast_http_request_duration_seconds_bucket")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with running_app() as client:
        yield client


def templates(client: TestClient) -> list[str]:
    return sorted({p for r in client.app.routes if isinstance(p := getattr(r, "path", None), str)})


def http_labels(client: TestClient) -> list[dict[str, str]]:
    text = client.get("/metrics").text  # counts this worker's pending requests first
    return [
        sample.labels
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name in HTTP_METRICS
    ]


def series(client: TestClient) -> tuple[set[str], int]:
    """Every series /metrics exposes, by name and labels (values left out), and its size."""
    text = client.get("/metrics").text
    return {line.rpartition(" ")[0] for line in text.splitlines()}, len(text)


def concrete(template: str, fill: str) -> str:
    return re.sub(r"\{[^}]*\}", fill or "x", template)


methods = st.one_of(st.sampled_from(sorted(METHODS)), st.text(TOKEN, min_size=1, max_size=24))
headers = st.dictionaries(
    st.sampled_from(["x-request-id", "x-forwarded-for", "idempotency-key", "authorization"]),
    st.text(PRINTABLE, max_size=64),
    max_size=4,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_labels_take_only_known_values_whatever_the_client_sends(
    client: TestClient, data: st.DataObject
) -> None:
    routes = templates(client)
    for _ in range(data.draw(st.integers(1, 4))):
        fill = data.draw(st.text(string.ascii_letters + string.digits + "-._~%", max_size=40))
        path = data.draw(
            st.one_of(
                st.sampled_from(routes).map(lambda t, fill=fill: concrete(t, fill)),
                st.text(string.ascii_letters + string.digits + "/-._~", max_size=60).map(
                    lambda p: "/" + p
                ),
            )
        )
        client.request(data.draw(methods), path, headers=data.draw(headers))

    labels = http_labels(client)

    assert labels
    assert {s["method"] for s in labels} <= METHODS | {OTHER}
    assert {s["route"] for s in labels} <= {*routes, UNMATCHED}
    assert all(re.fullmatch(r"[1-5][0-9][0-9]", s["status"]) for s in labels)


def test_made_up_methods_on_every_route_add_no_series(client: TestClient) -> None:
    paths = [concrete(t, "x") for t in templates(client)] + ["/no/such/path"]
    for path in paths:
        client.request("BREW", path)
    series(client)  # /metrics' own request, counted from the next scrape on
    before, size_before = series(client)

    for n in range(49):
        for path in paths:
            client.request(f"MADEUP{n}", path)
    after, size_after = series(client)

    assert after == before
    assert not any(f"MADEUP{n}" in line for line in after for n in range(49))
    assert size_after < size_before * 1.05  # only the counts' digits grew
