"""Metrics and docs from a real `ballast serve`: one worker and several, and /docs rendered
by a real browser (headless Chromium)."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.redis_server import RedisServer
from tests.support.servers import serving

REQUESTS = 12


def _total(text: str, labels: str) -> float:
    pattern = re.compile(r"^ballast_http_requests_total\{(.*)\} (\S+)$")
    total = 0.0
    for line in text.splitlines():
        m = pattern.match(line)
        if m and m[1] == labels:
            total += float(m[2])
    return total


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_metrics_count_every_request_whichever_worker_served_it(
    tmp_path: Path, workers: str, redis_server: RedisServer
) -> None:
    env = {"BALLAST_ENV": "development", "REDIS_URL": redis_server.url}
    with serving(tmp_path, "--workers", workers, **env) as base:
        # A new connection per request, so that the workers take turns.
        for i in range(REQUESTS):
            response = httpx.get(f"{base}/api/notifications/n-{i}")
            assert response.status_code == 401
        assert httpx.get(f"{base}/api/currency/rates").status_code == 200
        # The worker that answers counts its own requests at once; another worker's are
        # counted by its access-log writer, within its 50 ms batch.
        labels = 'method="GET",route="/api/notifications/{id}",status="401"'
        rates = 'method="GET",route="/api/currency/rates",status="200"'
        for _ in range(40):
            text = httpx.get(f"{base}/metrics").text
            if _total(text, labels) >= REQUESTS and _total(text, rates) >= 1:
                break
            time.sleep(0.05)

    assert _total(text, labels) == REQUESTS
    assert _total(text, rates) == 1
    assert "ballast_http_request_duration_seconds_bucket" in text
    assert "n-3" not in text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
def test_docs_render_every_route_in_a_headless_browser(tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed and could not be (make test installs it)")
    profile = tmp_path / "profile"
    screenshot = tmp_path / "docs.png"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        # Swagger UI fetches /openapi.json and renders it after load.
        "--virtual-time-budget=15000",
        "--window-size=1280,2400",
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    with serving(tmp_path, BALLAST_ENV="development") as base:
        spec = httpx.get(f"{base}/openapi.json").json()
        dom = subprocess.run(
            [browser, *flags, "--dump-dom", f"{base}/docs"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        ).stdout
        subprocess.run(
            [
                browser,
                *flags,
                "--run-all-compositor-stages-before-draw",
                f"--screenshot={screenshot}",
                f"{base}/docs",
            ],
            capture_output=True,
            timeout=120,
            env=env,
            check=False,
        )

    # The page's text, as a reader sees it: Swagger UI breaks paths with <wbr> between segments.
    text = re.sub(r"<[^>]+>", " ", dom.replace("<wbr>", ""))
    missing = [path for path in spec["paths"] if path not in text]
    assert "Ballast" in text
    assert missing == []
    assert screenshot.exists()
    # A blank page compresses to a few kB; the rendered route list is well over 50.
    assert screenshot.stat().st_size > 50_000
