"""The deploy/ examples an operator copies: the environment file names every variable the
README and the pages under docs/ document and is itself a valid production configuration;
the proxy it trusts is the one the HAProxy example runs as; the unit starts `ballast serve`."""

import re
from pathlib import Path

from entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"


def _env_file() -> tuple[dict[str, str], set[str]]:
    """(the assignments in force, every variable named, commented or not)."""
    active: dict[str, str] = {}
    named: set[str] = set()
    for line in (DEPLOY / "ballast.env").read_text().splitlines():
        m = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if m:
            named.add(m[2])
            if not m[1]:
                active[m[2]] = m[3]
    return active, named


def _readme_variables() -> set[str]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    text = "\n".join(page.read_text() for page in pages)
    return set(re.findall(r"^\| `((?:BALLAST_|REDIS_)[A-Z0-9_]*)`", text, re.MULTILINE)) | {
        v for v in re.findall(r"`(BALLAST_[A-Z0-9_]+)`", text) if not v.endswith("_")
    }


def test_the_environment_file_names_every_documented_variable() -> None:
    _, named = _env_file()

    assert _readme_variables() - named == set()


def test_the_environment_file_is_a_valid_production_configuration() -> None:
    active, _ = _env_file()

    settings = Settings.from_env(active)

    assert settings.env == "production"
    assert settings.uses_redis
    assert "127.0.0.1" in settings.trusted_proxies


def test_haproxy_passes_the_client_address_from_a_trusted_proxy_to_every_instance() -> None:
    config = (DEPLOY / "haproxy.cfg").read_text()
    active, _ = _env_file()

    assert "option forwardfor" in config
    assert "http-request del-header X-Forwarded-For" in config
    servers = re.findall(r"^\s+server \S+ (127\.0\.0\.1):(\d+) check", config, re.MULTILINE)
    assert [port for _, port in servers] == ["8001", "8002", "8003"]
    # Same host: the proxy connects from the loopback address Ballast trusts.
    assert {host for host, _ in servers} <= set(active["BALLAST_TRUSTED_PROXIES"].split(","))


def test_the_unit_serves_on_its_instance_port_from_the_environment_file() -> None:
    unit = (DEPLOY / "ballast@.service").read_text()

    assert "EnvironmentFile=/etc/ballast/ballast.env" in unit
    assert re.search(r"^ExecStart=\S+/ballast serve --workers 2 --port %i$", unit, re.MULTILINE)
