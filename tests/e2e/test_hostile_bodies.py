"""Hostile bodies, generated, to every route that takes a body, in memory mode and on a real
Redis: never a 5xx, every 4xx a problem+json, nothing stored that breaks a read, and the read
routes (events, inbox, me) still answer 200 afterwards."""

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from entrypoints.settings import RateLimit, RedisSettings, Storage
from tests.hostile_bodies import hostile_bodies, near_valid
from tests.redis_server import RedisServer
from tests.support.apps import ADMIN_PASSWORD, LIBRARY_NAMES, bearer, login, running_app

# (method, path, needs a token, a body the route accepts)
ROUTES: list[tuple[str, str, bool, dict[str, Any]]] = [
    ("POST", "/api/auth/login", False, {"username": "admin", "password": ADMIN_PASSWORD}),
    ("POST", "/api/auth/refresh", False, {"refresh_token": "a.b.c"}),
    ("POST", "/api/auth/logout", True, {"refresh_token": "a.b.c"}),
    ("POST", "/api/auth/revoke", True, {"token": "a.b.c"}),
    ("POST", "/api/users", True, {"username": "newbie", "password": "newbie-pw", "roles": []}),
    (
        "POST",
        "/api/notifications",
        True,
        {
            "recipient": "admin",
            "channel": "log",
            "subject": "hello",
            "body": "text",
            "metadata": {"order": 1, "tags": ["a"]},
        },
    ),
    ("PATCH", "/api/notifications/{id}", True, {"status": "read"}),
]


@pytest.fixture(params=["memory", "redis"])
def mode(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    if request.param == "memory":
        yield {}
        return
    server: RedisServer = request.getfixturevalue("empty_redis")
    yield {
        "redis": RedisSettings(server.url, connect_timeout=1.0, command_timeout=1.0),
        "storage": Storage.REDIS,
    }


def assert_no_server_error(response: Any, route: str) -> None:
    assert response.status_code < 500, (route, response.status_code, response.text)
    if response.status_code >= 400:
        content_type = response.headers["content-type"]
        assert content_type.startswith("application/problem+json"), (route, content_type)
        assert response.json()["status"] == response.status_code
        assert "Traceback" not in response.text
        assert not LIBRARY_NAMES.search(response.json()["detail"]), response.text


def assert_reads_answer(client: TestClient) -> None:
    token = login(client)["access_token"]
    for path in ("/api/auth/events?limit=1000", "/api/notifications?limit=100", "/api/auth/me"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 200, (path, response.text)


@pytest.mark.slow
def test_hostile_bodies_on_every_route_never_break_the_service(
    mode: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with running_app(**mode) as client:
        token = login(client)["access_token"]
        sent = client.post("/api/notifications", json=ROUTES[5][3], headers=bearer(token))
        assert sent.status_code == 202, sent.text
        notification_id = sent.json()["id"]

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(data=st.data())
        def probe(data: st.DataObject) -> None:
            method, path, needs_token, template = data.draw(st.sampled_from(ROUTES))
            body = data.draw(hostile_bodies() | near_valid(template))
            # Logout ends the token it is called with: each request brings a fresh one.
            headers = {"Content-Type": "application/json"}
            if needs_token:
                headers |= bearer(login(client)["access_token"] if "logout" in path else token)
            url = path.replace("{id}", notification_id)
            response = client.request(method, url, content=body, headers=headers)
            assert_no_server_error(response, f"{method} {path}")

        probe()
        assert_reads_answer(client)
    # No RecursionError or other error reached the last-resort handler, and nothing that
    # cannot be shown was stored (a reader would have skipped and logged it).
    logged = [r.getMessage() for r in caplog.records]
    assert not [m for m in logged if "unhandled_error" in m or "record_skipped" in m]


def test_a_login_with_a_lone_surrogate_is_a_400_and_the_audit_log_stays_readable(
    mode: dict[str, Any],
) -> None:
    with running_app(**mode) as client:
        for body in (
            b'{"username": "\\ud800x", "password": "whatever-pw"}',
            b'{"username": "admin", "password": "\\udfff"}',
            b'{"\\ud800": 1, "username": "admin", "password": "x"}',
        ):
            response = client.post(
                "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
            )
            assert_no_server_error(response, "login")
            assert response.status_code == 400
            assert "lone surrogate" in response.json()["detail"]
        assert_reads_answer(client)
        admin = login(client)["access_token"]
        events = client.get("/api/auth/events", headers=bearer(admin)).json()["items"]
        assert [e["type"] for e in events] == ["login_succeeded"] * 2  # nothing stored


def test_a_notification_with_a_lone_surrogate_is_refused_and_its_key_stays_free(
    mode: dict[str, Any],
) -> None:
    with running_app(**mode) as client:
        headers = {
            **bearer(login(client)["access_token"]),
            "Idempotency-Key": "retry-me",
            "Content-Type": "application/json",
        }
        hostile = b'{"recipient": "admin", "channel": "log", "subject": "\\ud800", "body": "b"}'
        refused = client.post("/api/notifications", content=hostile, headers=headers)
        assert refused.status_code == 400, refused.text
        retried = client.post(
            "/api/notifications",
            json={"recipient": "admin", "channel": "log", "subject": "ok", "body": "b"},
            headers=headers,
        )
        assert retried.status_code == 202, retried.text
        assert_reads_answer(client)


def test_metadata_nested_past_its_bound_is_a_422_and_the_inbox_stays_readable(
    mode: dict[str, Any],
) -> None:
    with running_app(**mode) as client:
        token = login(client)["access_token"]
        metadata = "{" + '"d":{' * 959 + "}" * 960
        body = '{"recipient": "admin", "channel": "log", "subject": "s", "body": "b",'
        response = client.post(
            "/api/notifications",
            content=f'{body} "metadata": {metadata}}}'.encode(),
            headers={**bearer(token), "Content-Type": "application/json"},
        )
        assert response.status_code == 400, response.text  # past the body's own bound
        shallow = {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": 1}}}}}}}}}
        response = client.post(
            "/api/notifications",
            json={
                "recipient": "admin",
                "channel": "log",
                "subject": "s",
                "body": "b",
                "metadata": shallow,
            },
            headers=bearer(token),
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "metadata"
        assert_reads_answer(client)


def test_malformed_login_bodies_count_against_the_login_limit(mode: dict[str, Any]) -> None:
    limited = {**mode, "login_rate_limit": RateLimit(10, 60)}
    with running_app(**limited) as client:
        deep = b"[" * 5000 + b"]" * 5000
        statuses = [
            client.post(
                "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
            ).status_code
            for body in [deep, b'{"username": "\\ud800"}', b"not json", b"[" * 40 + b"]" * 40] * 4
        ]
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429] * 6
