"""A managed-style Redis: TLS with a private CA and a password (`rediss://` plus
BALLAST_REDIS_CA_FILE)."""

from collections.abc import Iterator

import attrs
import pytest

from adapters.redis import keys
from adapters.redis.client import TlsFiles
from tests.redis_server import RedisServer
from tests.support.apps import bearer, login, redis_settings, redis_status, running_app
from tests.support.waiting import eventually

pytestmark = pytest.mark.redis

PASSWORD = "tls-test-password"


@pytest.fixture(scope="module")
def tls_redis() -> Iterator[RedisServer]:
    server = RedisServer(password=PASSWORD, tls=True).start()
    yield server
    server.stop()


def test_ballast_serves_from_a_tls_redis_with_a_private_ca_and_a_password(
    tls_redis: RedisServer,
) -> None:
    assert tls_redis.certificates is not None
    assert tls_redis.url.startswith(f"rediss://default:{PASSWORD}@")
    settings = redis_settings(tls_redis.url)
    settings = attrs.evolve(
        settings,
        redis=attrs.evolve(settings.redis, tls=TlsFiles(ca_file=tls_redis.certificates.ca)),
    )
    with running_app(settings) as app:
        # A TLS handshake on a busy machine can outlast the first attempt's timeout: the
        # link then comes up at its next probe.
        assert eventually(lambda: redis_status(app) == "pass")
        tokens = login(app)
        assert app.post("/api/auth/logout", headers=bearer(tokens)).status_code == 204
        assert app.get("/api/auth/me", headers=bearer(tokens)).status_code == 401

    with tls_redis.client() as c:
        assert c.keys(keys.REVOCATIONS + "*")


def test_without_the_ca_file_the_tls_redis_is_not_trusted(tls_redis: RedisServer) -> None:
    """The private CA is what makes the connection work: without it the certificate is
    refused, Ballast serves from its fallbacks and reports Redis down."""
    with running_app(redis_settings(tls_redis.url)) as app:
        assert redis_status(app) != "pass"
        assert login(app)["access_token"]
