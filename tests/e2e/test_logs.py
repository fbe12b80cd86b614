"""Every line `ballast serve` writes, uvicorn's and httpx's own included, parses: as logfmt by
default and as JSON with BALLAST_LOG_FORMAT=json; and none shows the credentials or API key of
the rates feed's URL or the token of a webhook's."""

import time
from pathlib import Path

import httpx
import pytest

from tests.feed_server import feed_server
from tests.log_secrets import LOG_SECRETS, leaked
from tests.redis_server import RedisServer
from tests.support.servers import ADMIN_PASSWORD, server_lines, serving
from tests.webhook_server import webhook_server

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
HOSTILE = 'a "quoted" subject\nwith a line break, level=CRITICAL and an = sign'


@pytest.mark.slow
@pytest.mark.parametrize("form", ["logfmt", "json"])
def test_every_line_of_a_serving_process_parses_and_shows_no_secret(
    tmp_path: Path, form: str
) -> None:
    env = {
        "BALLAST_LOG_FORMAT": form,
        "BALLAST_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BALLAST_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "BALLAST_LOG_LEVEL": "DEBUG",
    }
    with (
        feed_server() as feed,
        webhook_server() as receiver,
        serving(tmp_path, BALLAST_RATES_URL=feed.url, **env) as base,
    ):
        token = httpx.post(
            f"{base}/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        sent = httpx.post(
            f"{base}/api/notifications",
            headers=headers,
            json={"recipient": "admin", "channel": "log", "subject": HOSTILE, "body": "b"},
        )
        assert sent.status_code == 202
        hook = httpx.post(
            f"{base}/api/notifications",
            headers=headers,
            json={
                "recipient": "admin",
                "channel": "webhook",
                "subject": "s",
                "body": "b",
                "target": receiver.url(),
            },
        )
        assert hook.status_code == 202, hook.text
        httpx.post(
            f"{base}/api/auth/login",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        httpx.post(
            f"{base}/api/auth/login",
            json={"username": "admin", "password": "wrong-password-Q7"},
            headers={"X-Request-ID": "wrong-1", "traceparent": TRACEPARENT},
        )
        httpx.get(f"{base}/no/such/path", headers={"X-Request-ID": 'bad id "x"'})
        httpx.get(f"{base}/api/currency/convert?amount=1&from=USD&to=EUR")
        for _ in range(50):
            delivered = httpx.get(
                f"{base}/api/notifications/{sent.json()['id']}", headers=headers
            ).json()
            if delivered["status"] != "pending":
                break
        for _ in range(50):
            if receiver.received:
                break
            time.sleep(0.1)

    records = server_lines(tmp_path, form)  # raises on the first line that does not parse

    loggers = {r["logger"] for r in records}
    assert {"uvicorn.error", "ballast", "ballast.access"} <= loggers
    [notification] = [r for r in records if r.get("event") == "notification"]
    assert notification["subject"] == HOSTILE
    statuses = {str(r.get("status")) for r in records if r.get("event") == "request"}
    assert {"202", "400", "404", "200"} <= statuses
    assert any(r.get("msg", "").startswith("Uvicorn running on") for r in records)
    # httpx wrote its line of each request, the feed's and the webhook's, without the secrets.
    requested = [r["msg"] for r in records if r["logger"] == "httpx"]
    assert any("/eurofxref-daily.xml?REDACTED" in m for m in requested)
    assert any("/hook?REDACTED" in m for m in requested)
    # The security line names who and from where, and the request it was written for.
    [failed] = [r for r in records if r.get("event") == "login_failed"]
    assert (failed["username"], failed["client"]) == ("admin", "127.0.0.1")
    assert (failed["request_id"], failed["trace_id"]) == ("wrong-1", TRACEPARENT.split("-")[1])
    [wrong] = [r for r in records if r.get("event") == "request" and r["request_id"] == "wrong-1"]
    assert (wrong["client"], wrong["status"]) == ("127.0.0.1", 401 if form == "json" else "401")
    [lost] = [r for r in records if r.get("event") == "request" and r["route"] == "unmatched"]
    assert lost["path"] == "/no/such/path"
    text = (tmp_path / "serve.log").read_text()
    assert "wrong-password-Q7" not in text
    assert leaked(text) == [], f"{LOG_SECRETS} in the log"


@pytest.mark.slow
def test_a_healthy_start_with_redis_logs_no_warning(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    with serving(tmp_path, REDIS_URL=redis_server.url) as base:
        assert httpx.get(f"{base}/health").status_code == 200

    records = server_lines(tmp_path)
    assert any(r.get("event") == "started" for r in records)
    assert [r for r in records if r["level"] not in ("DEBUG", "INFO")] == []
