"""Auth outcomes through the real app: each counted in its metric, and the security events
(failed logins, a refresh token presented twice, logins refused by their rate limit) written
as lines naming the username and the client's address, never the password."""

import logging
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from entrypoints.log_format import JsonFormatter, LogfmtFormatter
from entrypoints.settings import RateLimit
from tests.logfmt import parse_json, parse_logfmt
from tests.support.apps import ADMIN_PASSWORD, bearer, create_user, login, running_app
from tests.support.metrics import sampled
from tests.support.oauth import admin_token, grant, new_client, oauth_app

WRONG = "not-the-password-Zq8"


def security_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The ballast.security records, as logfmt and as JSON, each parsed back."""
    out: list[dict[str, object]] = []
    for record in caplog.records:
        if record.name == "ballast.security":
            logfmt = parse_logfmt(LogfmtFormatter().format(record))
            assert parse_json(JsonFormatter().format(record)) == logfmt
            out.append(logfmt)
    return out


@pytest.fixture
def client(caplog: pytest.LogCaptureFixture) -> Iterator[TestClient]:
    caplog.set_level(logging.INFO, logger="ballast.security")
    with running_app(login_rate_limit=RateLimit(3, 60)) as client:
        yield client


def test_logins_are_counted_by_outcome_and_a_failure_is_a_line_without_the_password(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    failed, succeeded = (
        sampled("ballast_logins_total", outcome="failed"),
        sampled("ballast_logins_total", outcome="succeeded"),
    )

    wrong = client.post("/api/auth/login", json={"username": "admin", "password": WRONG})
    login(client)

    assert wrong.status_code == 401
    assert sampled("ballast_logins_total", outcome="failed") == failed + 1
    assert sampled("ballast_logins_total", outcome="succeeded") == succeeded + 1
    [line] = security_lines(caplog)
    assert (line["event"], line["username"], line["client"]) == (
        "login_failed",
        "admin",
        "testclient",
    )
    assert all(
        WRONG not in r.getMessage() and ADMIN_PASSWORD not in r.getMessage() for r in caplog.records
    )


def test_refreshes_reuse_and_revocations_are_counted_and_reuse_is_a_warning(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    before = {
        name: sampled(name)
        for name in ("ballast_token_refreshes_total", "ballast_refresh_reuse_detections_total")
    }
    logouts = sampled("ballast_token_revocations_total", reason="logout")
    tokens = login(client)

    renewed = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    reused = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    again = login(client)
    client.post("/api/auth/logout", headers=bearer(again["access_token"]))

    assert (renewed.status_code, reused.status_code) == (200, 401)
    assert sampled("ballast_token_refreshes_total") == before["ballast_token_refreshes_total"] + 1
    assert (
        sampled("ballast_refresh_reuse_detections_total")
        == before["ballast_refresh_reuse_detections_total"] + 1
    )
    assert sampled("ballast_token_revocations_total", reason="logout") == logouts + 1
    [line] = security_lines(caplog)
    assert (line["event"], line["level"], line["username"]) == (
        "refresh_reuse_detected",
        "WARNING",
        "admin",
    )
    assert line["client"] == "testclient"


def test_a_login_refused_by_its_rate_limit_is_a_line_with_the_username_and_address(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    refused = sampled("ballast_rate_limit_rejections_total", limit="login")
    answers = [
        client.post("/api/auth/login", json={"username": "mallory", "password": WRONG})
        for _ in range(4)
    ]

    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert sampled("ballast_rate_limit_rejections_total", limit="login") == refused + 1
    lines = security_lines(caplog)
    assert [line["event"] for line in lines] == ["login_failed"] * 3 + ["login_rate_limited"]
    assert (lines[-1]["username"], lines[-1]["client"]) == ("mallory", "testclient")
    assert all(WRONG not in str(line) for line in lines)


def test_client_credentials_grants_are_counted_by_outcome() -> None:
    with oauth_app() as app:
        creds = new_client(app, admin_token(app), ["users:read"])
        issued, refused = (
            sampled("ballast_client_credentials_grants_total", outcome=o)
            for o in ("issued", "refused")
        )

        assert grant(app, creds).status_code == 200
        assert grant(app, {**creds, "client_secret": "wrong"}).status_code == 401
        assert grant(app, creds, grant_type="password").status_code == 400

    assert sampled("ballast_client_credentials_grants_total", outcome="issued") == issued + 1
    assert sampled("ballast_client_credentials_grants_total", outcome="refused") == refused + 2


def test_a_wrong_current_password_is_a_line_without_it(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    create_user(client, login(client)["access_token"], "alice", "alice-password-1", [])
    token = login(client, "alice", "alice-password-1")["access_token"]
    answer = client.post(
        "/api/auth/password",
        headers=bearer(token),
        json={"current_password": WRONG, "new_password": "a-better-password-9"},
    )

    assert answer.status_code == 422
    [line] = security_lines(caplog)
    assert (line["event"], line["username"], line["client"]) == (
        "password_check_failed",
        "alice",
        "testclient",
    )
    assert all(WRONG not in r.getMessage() for r in caplog.records)
