"""REDIS_URL forms: each topology read into its nodes and credentials; every bad URL refused
at start with one line that names REDIS_URL and never shows the password."""

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.redis.client import TlsFiles
from adapters.redis.url import RedisTarget, RedisUrlError, Topology, parse_redis_url
from entrypoints.settings import ConfigError, Settings

SECRET = "s3cr3t-Pa55"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://cache:6379/0", RedisTarget(Topology.SINGLE, (("cache", 6379),))),
        ("redis://cache", RedisTarget(Topology.SINGLE, (("cache", 6379),))),
        (
            "rediss://app:pw@cache.example.com:6380/2",
            RedisTarget(Topology.SINGLE, (("cache.example.com", 6380),), True, "app", "pw", 2),
        ),
        (
            "rediss://:p%40ss@[::1]:6380",
            RedisTarget(Topology.SINGLE, (("::1", 6380),), True, None, "p@ss"),
        ),
        (
            "unix:///run/redis.sock?db=3",
            RedisTarget(Topology.SINGLE, (), db=3, socket_path="/run/redis.sock"),
        ),
        (
            "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381/svc",
            RedisTarget(
                Topology.SENTINEL,
                (("127.0.0.1", 26379), ("127.0.0.1", 26380), ("127.0.0.1", 26381)),
                service="svc",
            ),
        ),
        (
            "redis+sentinel://u:pw@s1,s2:5000/svc/4",
            RedisTarget(
                Topology.SENTINEL,
                (("s1", 26379), ("s2", 5000)),
                username="u",
                password="pw",
                db=4,
                service="svc",
            ),
        ),
        (
            "redis+cluster://10.0.0.1:7000,10.0.0.2:7001",
            RedisTarget(Topology.CLUSTER, (("10.0.0.1", 7000), ("10.0.0.2", 7001))),
        ),
        (
            "rediss+cluster://default:pw@node:7000/",
            RedisTarget(Topology.CLUSTER, (("node", 7000),), True, "default", "pw"),
        ),
    ],
)
def test_every_url_form_is_read_into_its_topology(url: str, expected: RedisTarget) -> None:
    assert parse_redis_url(url) == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://cache:6379", "scheme"),
        ("cache:6379", "scheme"),
        ("redis://", "needs a host"),
        ("redis://cache:notaport/0", "port"),
        ("redis://cache:70000/0", "port"),
        ("redis://cache:6379/zero", "database number"),
        (f"redis+sentinel://u:{SECRET}@s1:26379", "service name"),
        (f"redis+sentinel://u:{SECRET}@s1:26379/", "service name"),
        (f"redis+sentinel://u:{SECRET}@s1:26379/svc/x", "database number"),
        (f"redis+sentinel://u:{SECRET}@s1:26379/svc/1/2", "only /db"),
        (f"redis+sentinel://u:{SECRET}@s1:26379,,s2/svc", "host:port entries"),
        (f"redis+sentinel://u:{SECRET}@s1:26379,s2:abc/svc", "host entry 2 of 2"),
        (f"redis+sentinel://u:{SECRET},s2:1/svc", "host entry 1 of 2"),
        (f"redis+cluster://u:{SECRET}@n1:7000/svc", "cluster URL has no service"),
        (f"redis+cluster://u:{SECRET}@n1:7000?x=1", "no query"),
        (f"redis+cluster://:{SECRET}@", "host:port entries"),
        ("redis+cluster://[::1:7000", "IPv6"),
    ],
)
def test_a_bad_url_stops_start_naming_the_variable_without_the_password(
    url: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"REDIS_URL": url})

    message = str(caught.value)
    assert message.startswith("REDIS_URL: ")
    assert says in message
    assert "\n" not in message
    assert SECRET not in message


@given(secret=st.text(max_size=20), tail=st.text(max_size=40))
def test_no_error_about_any_url_contains_its_password(secret: str, tail: str) -> None:
    """The whole class: whatever follows (or breaks) the credentials, the message names the
    problem without echoing any of the URL ("Zq" appears in no fixed message)."""
    password = "Zq" + secret
    for scheme in ("redis", "rediss", "unix", "redis+sentinel", "redis+cluster"):
        for url in (f"{scheme}://user:{password}@{tail}", f"{scheme}://{password}{tail}"):
            try:
                parse_redis_url(url)
            except RedisUrlError as e:
                assert "Zq" not in str(e)


def test_the_settings_repr_never_shows_the_redis_password() -> None:
    settings = Settings.from_env({"REDIS_URL": f"rediss://app:{SECRET}@cache:6380/0"})

    assert settings.redis is not None
    assert settings.redis.url == f"rediss://app:{SECRET}@cache:6380/0"
    assert SECRET not in repr(settings)


def test_tls_files_are_read_into_the_redis_settings(tmp_path: Path) -> None:
    ca, cert, key = (tmp_path / n for n in ("ca.pem", "client.pem", "client.key"))
    for f in (ca, cert, key):
        f.write_text("-----BEGIN-----\n")
    settings = Settings.from_env(
        {
            "REDIS_URL": "rediss://cache:6380",
            "BALLAST_REDIS_CA_FILE": str(ca),
            "BALLAST_REDIS_CERT_FILE": str(cert),
            "BALLAST_REDIS_KEY_FILE": str(key),
        }
    )

    assert settings.redis is not None
    assert settings.redis.tls == TlsFiles(str(ca), str(cert), str(key))


@pytest.mark.parametrize("variable", ["CA_FILE", "CERT_FILE", "KEY_FILE"])
def test_an_unreadable_tls_file_stops_start_naming_its_variable(
    tmp_path: Path, variable: str
) -> None:
    present = tmp_path / "present.pem"
    present.write_text("pem")
    env = {
        "REDIS_URL": f"rediss://app:{SECRET}@cache:6380",
        "BALLAST_REDIS_CERT_FILE": str(present),
        f"BALLAST_REDIS_{variable}": str(tmp_path / "missing.pem"),
    }

    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)

    assert caught.value.variable == f"BALLAST_REDIS_{variable}"
    assert "missing.pem" in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_tls_file_without_read_permission_is_refused(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    ca.chmod(0)

    with pytest.raises(ConfigError, match="BALLAST_REDIS_CA_FILE: cannot read"):
        Settings.from_env({"REDIS_URL": "rediss://cache", "BALLAST_REDIS_CA_FILE": str(ca)})


def test_tls_files_without_a_tls_url_are_refused(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")

    with pytest.raises(ConfigError, match="BALLAST_REDIS_CA_FILE: is set but REDIS_URL"):
        Settings.from_env({"REDIS_URL": "redis://cache", "BALLAST_REDIS_CA_FILE": str(ca)})


def test_a_key_file_without_its_certificate_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "client.key"
    key.write_text("pem")

    with pytest.raises(ConfigError, match="BALLAST_REDIS_KEY_FILE: needs"):
        Settings.from_env({"REDIS_URL": "rediss://cache", "BALLAST_REDIS_KEY_FILE": str(key)})


@given(url=st.text(max_size=60))
def test_any_text_is_either_a_target_or_a_url_error(url: str) -> None:
    for candidate in (url, f"redis://{url}", f"redis+sentinel://{url}", f"redis+cluster://{url}"):
        try:
            target = parse_redis_url(candidate)
        except RedisUrlError as e:
            assert str(e)
        else:
            assert target.nodes or target.socket_path
