"""Every line `ballast serve` writes, uvicorn's and httpx's own included, parses: as logfmt by
default and as JSON with BALLAST_LOG_FORMAT=json; and none shows the credentials or API key of
the rates feed's URL or the token of a webhook's."""

import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_cli import ADMIN_PASSWORD, server_lines, serving
from tests.feed_server import feed_server
from tests.log_secrets import LOG_SECRETS, leaked
from tests.webhook_server import webhook_server

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
        httpx.post(f"{base}/api/auth/login", content=b"{not json")
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
    text = (tmp_path / "serve.log").read_text()
    assert leaked(text) == [], f"{LOG_SECRETS} in the log"
