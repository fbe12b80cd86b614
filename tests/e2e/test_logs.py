"""Every line `ballast serve` writes, uvicorn's own included, parses: as logfmt by default
and as JSON with BALLAST_LOG_FORMAT=json."""

from pathlib import Path

import httpx
import pytest

from tests.e2e.test_cli import ADMIN_PASSWORD, server_lines, serving

HOSTILE = 'a "quoted" subject\nwith a line break, level=CRITICAL and an = sign'


@pytest.mark.slow
@pytest.mark.parametrize("form", ["logfmt", "json"])
def test_every_line_of_a_serving_process_parses(tmp_path: Path, form: str) -> None:
    env = {"BALLAST_LOG_FORMAT": form, "BALLAST_ADMIN_PASSWORD": ADMIN_PASSWORD}
    with serving(tmp_path, **env) as base:
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
        httpx.post(f"{base}/api/auth/login", content=b"{not json")
        httpx.get(f"{base}/no/such/path", headers={"X-Request-ID": 'bad id "x"'})
        httpx.get(f"{base}/api/currency/convert?amount=1&from=USD&to=EUR")
        for _ in range(50):
            delivered = httpx.get(
                f"{base}/api/notifications/{sent.json()['id']}", headers=headers
            ).json()
            if delivered["status"] != "pending":
                break

    records = server_lines(tmp_path, form)  # raises on the first line that does not parse

    loggers = {r["logger"] for r in records}
    assert {"uvicorn.error", "ballast", "ballast.access"} <= loggers
    [notification] = [r for r in records if r.get("event") == "notification"]
    assert notification["subject"] == HOSTILE
    statuses = {str(r.get("status")) for r in records if r.get("event") == "request"}
    assert {"202", "400", "404", "200"} <= statuses
    assert any(r.get("msg", "").startswith("Uvicorn running on") for r in records)
