"""`ballast health --url`: ask a running instance for its /health, for the probes of a
container HEALTHCHECK, a systemd unit or Kubernetes (exit 0 healthy, 1 not)."""

import json
import time
from urllib.parse import urlsplit

import attrs
import httpx

DEFAULT_TIMEOUT = 5.0
MAX_ANSWER = 65_536  # bytes of the answer read at most: a health JSON is a few hundred


@attrs.frozen
class Answer:
    code: int  # the exit status
    body: str  # the health JSON, to standard output ("" when there is none)
    problem: str  # one line for standard error ("" when healthy)


def health_url(base: str) -> str | None:
    """`base` + /health (a URL already ending in /health is kept); None: not http(s)."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    path = parts.path.rstrip("/")
    if not path.endswith("/health"):
        path += "/health"
    return parts._replace(path=path, query="", fragment="").geturl()


def ask(url: str, timeout: float) -> Answer:
    """GET url; 0 for status pass or warn, 1 for fail or for no health answer at all."""
    deadline = time.monotonic() + timeout
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            raw = b""
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) > MAX_ANSWER:
                    return Answer(1, "", f"the answer of {url} is over {MAX_ANSWER} bytes")
                if time.monotonic() > deadline:
                    return Answer(1, "", f"no whole answer from {url} within {timeout:g} s")
            status_code = response.status_code
    except httpx.HTTPError as e:
        return Answer(1, "", f"no answer from {url}: {type(e).__name__}: {e}")
    try:
        report = json.loads(raw)
        status = report.get("status") if isinstance(report, dict) else None
    except ValueError:
        status = None
    if status not in ("pass", "warn", "fail"):
        return Answer(1, "", f"{url} answered {status_code} without a health status")
    body = json.dumps(report, indent=2)
    if status == "fail":
        return Answer(1, body, f"{url} reports status fail ({status_code})")
    return Answer(0, body, "")
