"""/status in a real browser (headless Chromium) while Redis is killed and restored: the page
shows the fallback mode, then the return to Redis with the replay; screenshots of each stage
are kept in the test's output folder (its tmp_path)."""

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.redis_server import RedisServer
from tests.support.servers import ADMIN_PASSWORD, serving

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=900,1400",
]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _until(check: Callable[[], bool], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"not within {within} s")


def _redis_check(base: str) -> dict[str, object]:
    check: dict[str, object] = httpx.get(f"{base}/health").json()["checks"]["redis"][0]
    return check


class Browser:
    def __init__(self, binary: str, folder: Path) -> None:
        self.binary = binary
        self.folder = folder
        self.env = {**os.environ, "HOME": str(folder)}

    def _run(self, *args: str) -> str:
        profile = self.folder / "profile"
        result = subprocess.run(
            [self.binary, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=self.env,
            check=False,
        )
        return result.stdout

    def dom(self, url: str, wait_ms: int = 500) -> str:
        """The page as the browser holds it after `wait_ms` of (virtual) time."""
        return self._run(f"--virtual-time-budget={wait_ms}", "--dump-dom", url)

    def screenshot(self, url: str, name: str) -> Path:
        path = self.folder / name
        self._run(
            "--virtual-time-budget=500",
            "--run-all-compositor-stages-before-draw",
            f"--screenshot={path}",
            url,
        )
        assert path.exists() and path.stat().st_size > 10_000, f"{name} was not drawn"
        return path


def _text(dom: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", dom).split())


@pytest.mark.slow
def test_status_shows_fallback_while_redis_is_down_and_the_return_after(
    tmp_path: Path, own_redis: RedisServer
) -> None:
    binary = _chromium()
    if binary is None:
        pytest.skip("chromium is not installed and could not be (make test installs it)")
    browser = Browser(binary, tmp_path)
    env = {"REDIS_URL": own_redis.url, "BALLAST_ADMIN_PASSWORD": ADMIN_PASSWORD}
    login = {"username": "admin", "password": ADMIN_PASSWORD}
    with serving(tmp_path, **env) as base:
        page = httpx.get(f"{base}/status")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)

        # The script swaps in a fresh page every 2 s: after 5 s it has done so.
        refreshed = browser.dom(f"{base}/status", wait_ms=5000)
        assert re.search(r'data-refreshes="[1-9]', refreshed)
        before = browser.dom(f"{base}/status")
        browser.screenshot(f"{base}/status", "status-1-redis-up.png")
        assert 'data-mode="primary"' in before
        assert 'data-breaker="closed"' in before
        assert "<svg" in before

        own_redis.kill()
        _until(lambda: _redis_check(base)["mode"] == "fallback")
        # Writes during the outage are journaled: something to replay on the return.
        assert httpx.post(f"{base}/api/auth/login", json=login).status_code == 200
        time.sleep(1.5)  # the metrics copy the link's state every second
        during = browser.dom(f"{base}/status")
        browser.screenshot(f"{base}/status", "status-2-redis-down.png")
        assert 'data-mode="fallback"' in during
        assert 'data-breaker="open"' in during or 'data-breaker="half_open"' in during
        assert re.search(r"breaker \S+ for \d+ s", _text(during))
        assert "fallback" in _text(during)

        own_redis.restart()

        def back() -> bool:
            check = _redis_check(base)
            return check["mode"] == "primary" and check["breaker"] == "closed"

        _until(back)
        time.sleep(1.5)
        after = browser.dom(f"{base}/status")
        browser.screenshot(f"{base}/status", "status-3-redis-back.png")
        assert 'data-mode="primary"' in after
        assert 'data-breaker="closed"' in after
        assert re.search(r"\d+ writes in \d+\.\d+ s", _text(after)), "the replay is listed"
