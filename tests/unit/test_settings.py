"""Settings from the environment: defaults, every accepted form, and one error per bad value
that names its variable."""

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from adapters.jwt_keys import Algorithm, check_pem, generate_pem
from domain.users import Role
from entrypoints.settings import (
    ConfigError,
    OnRedisDown,
    Policies,
    RateLimit,
    Settings,
    Storage,
)
from tests.fakes import fast_hasher

STRONG_SECRET = "q7Vf2LxN9sKd4WmZ8cRj1TgY6hBp3EuA"  # 32 random characters


def test_an_empty_environment_gives_the_in_memory_development_defaults() -> None:
    settings = Settings.from_env({})

    assert settings.env == "development"
    assert settings.storage is Storage.MEMORY
    assert settings.redis is None
    assert not settings.uses_redis
    assert settings.policies == Policies()
    assert (settings.jwt_issuer, settings.access_ttl, settings.refresh_ttl) == (
        "ballast",
        900,
        2_592_000,
    )
    assert settings.rate_limit == RateLimit(1000, 60)
    assert settings.login_rate_limit == RateLimit(10, 60)
    assert settings.rates_ttl == 3600
    assert settings.webhook_allowed_hosts == ()
    assert settings.trusted_proxies == ()
    assert (settings.rates_urls, settings.smtp_url) == ((), None)
    assert settings.password_hash_memory_kib == 19 * 1024


def test_development_generates_a_secret_and_an_admin_password_when_none_is_given() -> None:
    first, second = Settings.from_env({}), Settings.from_env({})

    assert len(first.jwt_secret) >= 32
    assert first.jwt_secret != second.jwt_secret
    assert first.admin_password_generated
    assert first.admin_password is not None and len(first.admin_password) >= 8


def test_a_given_admin_password_is_used_and_not_marked_generated() -> None:
    settings = Settings.from_env({"BALLAST_ADMIN_PASSWORD": "given-password"})

    assert settings.admin_password == "given-password"
    assert not settings.admin_password_generated


def test_secrets_are_kept_out_of_the_settings_repr() -> None:
    settings = Settings.from_env(
        {"BALLAST_JWT_SECRET": STRONG_SECRET, "BALLAST_ADMIN_PASSWORD": "given-password"}
    )

    assert STRONG_SECRET not in repr(settings)
    assert "given-password" not in repr(settings)


def test_blank_values_count_as_unset() -> None:
    settings = Settings.from_env({"BALLAST_STORAGE": "  ", "BALLAST_ACCESS_TTL": ""})

    assert (settings.storage, settings.access_ttl) == (Storage.MEMORY, 900)


def test_redis_url_selects_redis_storage_with_default_tuning() -> None:
    settings = Settings.from_env({"REDIS_URL": "redis://cache:6379/0"})

    assert settings.storage is Storage.REDIS
    assert settings.uses_redis
    assert settings.redis is not None
    assert settings.redis.url == "redis://cache:6379/0"
    assert (settings.redis.connect_timeout, settings.redis.command_timeout) == (0.25, 0.25)
    assert settings.redis.failures_to_open == 3
    assert (settings.redis.journal_max, settings.redis.fallback_max) == (100_000, 100_000)


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost",
        "rediss://user:pw@cache.example:6380/2",
        "redis+sentinel://sentinel:26379/mymaster",
        "unix:///run/redis.sock",
    ],
)
def test_every_documented_redis_url_scheme_is_accepted(url: str) -> None:
    assert Settings.from_env({"REDIS_URL": url}).redis is not None


def test_memory_storage_can_be_forced_even_with_a_redis_url() -> None:
    settings = Settings.from_env({"REDIS_URL": "redis://cache", "BALLAST_STORAGE": "memory"})

    assert settings.storage is Storage.MEMORY
    assert not settings.uses_redis


def test_redis_tuning_variables_are_read() -> None:
    settings = Settings.from_env(
        {
            "REDIS_URL": "redis://cache",
            "BALLAST_REDIS_CONNECT_TIMEOUT": "1.5",
            "BALLAST_REDIS_COMMAND_TIMEOUT": "0.1",
            "BALLAST_REDIS_FAILURES_TO_OPEN": "5",
            "BALLAST_REPLAY_JOURNAL_MAX": "10",
            "BALLAST_FALLBACK_MAX_ENTRIES": "20",
        }
    )

    assert settings.redis is not None
    assert (settings.redis.connect_timeout, settings.redis.command_timeout) == (1.5, 0.1)
    assert settings.redis.failures_to_open == 5
    assert (settings.redis.journal_max, settings.redis.fallback_max) == (10, 20)


def test_the_default_redis_down_policy_applies_to_every_capability_unless_overridden() -> None:
    settings = Settings.from_env(
        {"BALLAST_ON_REDIS_DOWN": "fail_closed", "BALLAST_EVENTS_ON_REDIS_DOWN": "FALLBACK"}
    )

    assert settings.policies == Policies(
        tokens=OnRedisDown.FAIL_CLOSED,
        users=OnRedisDown.FAIL_CLOSED,
        events=OnRedisDown.FALLBACK,
        notifications=OnRedisDown.FAIL_CLOSED,
        clients=OnRedisDown.FAIL_CLOSED,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5/second", RateLimit(5, 1)),
        ("100/minute", RateLimit(100, 60)),
        ("2 / hour", RateLimit(2, 3600)),
        ("1000/DAY", RateLimit(1000, 86400)),
        ("off", None),
        ("OFF", None),
    ],
)
def test_rate_limits_are_parsed(raw: str, expected: RateLimit | None) -> None:
    settings = Settings.from_env({"BALLAST_RATE_LIMIT": raw, "BALLAST_LOGIN_RATE_LIMIT": raw})

    assert settings.rate_limit == expected
    assert settings.login_rate_limit == expected


def test_lists_of_hosts_and_proxies_split_on_commas_and_spaces() -> None:
    settings = Settings.from_env(
        {
            "BALLAST_WEBHOOK_ALLOWED_HOSTS": "Hooks.Example.com, api.example.org  other.test",
            "BALLAST_TRUSTED_PROXIES": "10.0.0.1,10.1.0.0/16 ::1",
        }
    )

    assert settings.webhook_allowed_hosts == ("hooks.example.com", "api.example.org", "other.test")
    assert settings.trusted_proxies == ("10.0.0.1", "10.1.0.0/16", "::1")


def test_the_password_hash_memory_is_read_in_kib() -> None:
    settings = Settings.from_env({"BALLAST_PASSWORD_HASH_MEMORY_KIB": "256"})
    assert settings.password_hash_memory_kib == 256


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BALLAST_ENV", "staging"),
        ("REDIS_URL", "http://cache:6379"),
        ("REDIS_URL", "redis://cache:notaport"),
        ("BALLAST_STORAGE", "bogus"),
        ("BALLAST_ON_REDIS_DOWN", "retry"),
        ("BALLAST_TOKENS_ON_REDIS_DOWN", "maybe"),
        ("BALLAST_USERS_ON_REDIS_DOWN", "maybe"),
        ("BALLAST_EVENTS_ON_REDIS_DOWN", "maybe"),
        ("BALLAST_NOTIFICATIONS_ON_REDIS_DOWN", "maybe"),
        ("BALLAST_ACCESS_TTL", "abc"),
        ("BALLAST_ACCESS_TTL", "0"),
        ("BALLAST_ACCESS_TTL", "-5"),
        ("BALLAST_REFRESH_TTL", "1.5"),
        ("BALLAST_ADMIN_PASSWORD", "short"),
        ("BALLAST_ADMIN_PASSWORD", "x" * 257),
        ("BALLAST_RATE_LIMIT", "lots"),
        ("BALLAST_RATE_LIMIT", "0/minute"),
        ("BALLAST_RATE_LIMIT", "10/fortnight"),
        ("BALLAST_LOGIN_RATE_LIMIT", "10 per minute"),
        ("BALLAST_RATES_URL", "ftp://rates.example/feed.xml"),
        ("BALLAST_RATES_URL", "not a url"),
        ("BALLAST_RATES_TTL", "soon"),
        ("BALLAST_SMTP_URL", "http://mail.example"),
        ("BALLAST_PASSWORD_HASH_MEMORY_KIB", "7"),
        ("BALLAST_USERS_FILE", "/nonexistent/ballast-users.json"),
        ("BALLAST_TRUSTED_PROXIES", "10.0.0.1, not-an-address"),
        ("BALLAST_TRUSTED_PROXIES", "10.0.0.0/33"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({variable: value})

    assert error.value.variable == variable
    assert str(error.value).startswith(f"{variable}: ")


@pytest.mark.parametrize(
    "variable",
    [
        "BALLAST_REDIS_CONNECT_TIMEOUT",
        "BALLAST_REDIS_COMMAND_TIMEOUT",
        "BALLAST_REDIS_FAILURES_TO_OPEN",
        "BALLAST_REPLAY_JOURNAL_MAX",
        "BALLAST_FALLBACK_MAX_ENTRIES",
    ],
)
@pytest.mark.parametrize("value", ["abc", "0", "-1"])
def test_a_bad_redis_tuning_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"REDIS_URL": "redis://cache", variable: value})

    assert error.value.variable == variable


@pytest.mark.parametrize(
    "variable", ["BALLAST_REDIS_CONNECT_TIMEOUT", "BALLAST_REDIS_COMMAND_TIMEOUT"]
)
def test_a_redis_timeout_over_a_minute_is_refused(variable: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"REDIS_URL": "redis://cache", variable: "61"})

    assert error.value.variable == variable


def test_redis_storage_without_a_redis_url_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"BALLAST_STORAGE": "redis"})

    assert error.value.variable == "BALLAST_STORAGE"
    assert "REDIS_URL" in str(error.value)


def test_production_refuses_a_missing_jwt_secret() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"BALLAST_ENV": "production", "BALLAST_ADMIN_PASSWORD": "admin-password"})

    assert error.value.variable == "BALLAST_JWT_SECRET"


def test_production_refuses_a_jwt_secret_under_32_bytes() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(
            {
                "BALLAST_ENV": "production",
                "BALLAST_JWT_SECRET": "s" * 31,
                "BALLAST_ADMIN_PASSWORD": "admin-password",
            }
        )

    assert error.value.variable == "BALLAST_JWT_SECRET"
    assert "32" in str(error.value)


@pytest.mark.parametrize(
    "secret",
    [
        "a" * 64,  # long, one distinct byte
        "abababababababababababababababab",
        "0123456789abcde" * 4,
        "0123456789abcdef0123456789abcdef",  # 16 distinct bytes: two sequences, repeated
        "0123456789abcdefghijklmnopqrstuv",  # 32 distinct bytes: one sequence
        "éééééééééééééééééééééééééééééééé",  # 64 bytes of UTF-8, 2 distinct
    ],
)
def test_production_refuses_a_guessable_secret_and_names_the_rule(secret: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(
            {
                "BALLAST_ENV": "production",
                "BALLAST_JWT_SECRET": secret,
                "BALLAST_ADMIN_PASSWORD": "admin-password",
            }
        )

    assert error.value.variable == "BALLAST_JWT_SECRET"
    assert "112 bits of estimated entropy" in str(error.value)
    assert secret not in str(error.value)


@pytest.mark.parametrize("password", ["password", "elevenchars"])
def test_production_refuses_an_admin_password_under_12_characters(password: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(
            {
                "BALLAST_ENV": "production",
                "BALLAST_JWT_SECRET": STRONG_SECRET,
                "BALLAST_ADMIN_PASSWORD": password,
            }
        )

    assert error.value.variable == "BALLAST_ADMIN_PASSWORD"
    assert "at least 12 characters" in str(error.value)
    assert repr(password) not in str(error.value)


def test_development_still_takes_an_8_character_admin_password() -> None:
    settings = Settings.from_env({"BALLAST_ADMIN_PASSWORD": "password"})
    assert settings.admin_password == "password"


def test_only_development_generates_an_admin_password() -> None:
    assert Settings.from_env({"BALLAST_ENV": "development"}).admin_password_generated
    under_test = Settings.from_env({"BALLAST_ENV": "test"})
    assert not under_test.admin_password_generated
    assert under_test.admin_password is None


def test_production_refuses_to_start_without_an_admin_password_or_users_file() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"BALLAST_ENV": "production", "BALLAST_JWT_SECRET": STRONG_SECRET})

    assert error.value.variable == "BALLAST_ADMIN_PASSWORD"
    assert "BALLAST_USERS_FILE" in str(error.value)


def test_production_with_a_strong_secret_and_admin_password_generates_nothing() -> None:
    settings = Settings.from_env(
        {
            "BALLAST_ENV": "production",
            "BALLAST_JWT_SECRET": STRONG_SECRET,
            "BALLAST_ADMIN_PASSWORD": "admin-password",
        }
    )

    assert settings.env == "production"
    assert settings.jwt_secret == STRONG_SECRET
    assert settings.admin_password == "admin-password"
    assert not settings.admin_password_generated


def write_users(tmp_path: Path, content: object) -> str:
    path = tmp_path / "users.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_production_accepts_a_users_file_instead_of_an_admin_password(tmp_path: Path) -> None:
    hashed = fast_hasher().hash_sync("service-password")
    users_file = write_users(
        tmp_path, {"users": [{"username": "svc", "password_hash": hashed, "roles": ["service"]}]}
    )

    settings = Settings.from_env(
        {
            "BALLAST_ENV": "production",
            "BALLAST_JWT_SECRET": STRONG_SECRET,
            "BALLAST_USERS_FILE": users_file,
        }
    )

    [user] = settings.users
    assert (user.username, user.password_hash, user.roles) == (
        "svc",
        hashed,
        frozenset({Role.SERVICE}),
    )
    assert settings.admin_password is None
    assert not settings.admin_password_generated


def test_a_users_file_user_without_roles_is_a_plain_user(tmp_path: Path) -> None:
    hashed = fast_hasher().hash_sync("plain-password")
    users_file = write_users(tmp_path, {"users": [{"username": "bob", "password_hash": hashed}]})

    [user] = Settings.from_env({"BALLAST_USERS_FILE": users_file}).users

    assert user.roles == frozenset()


def test_development_with_a_users_file_generates_no_admin_password(tmp_path: Path) -> None:
    users_file = write_users(tmp_path, {"users": []})

    settings = Settings.from_env({"BALLAST_USERS_FILE": users_file})

    assert settings.admin_password is None
    assert not settings.admin_password_generated


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ([], "must hold"),
        ({"users": {}}, "must hold"),
        ({"users": ["bob"]}, "users[0] is not an object"),
        ({"users": [{"username": "no spaces", "password_hash": "scrypt$x"}]}, "users[0].username"),
        ({"users": [{"username": "bob", "password_hash": "plaintext"}]}, "users[0].password_hash"),
        ({"users": [{"username": "bob"}]}, "users[0].password_hash"),
        (
            {"users": [{"username": "bob", "password_hash": "scrypt$x", "roles": ["root"]}]},
            "users[0].roles",
        ),
    ],
)
def test_a_bad_users_file_names_the_variable_and_the_problem(
    tmp_path: Path, content: object, problem: str
) -> None:
    users_file = write_users(tmp_path, content)

    with pytest.raises(ConfigError) as error:
        Settings.from_env({"BALLAST_USERS_FILE": users_file})

    assert error.value.variable == "BALLAST_USERS_FILE"
    assert problem in str(error.value)


def test_the_metrics_token_is_read_and_kept_out_of_the_repr() -> None:
    settings = Settings.from_env({"BALLAST_METRICS_TOKEN": "scrape-token-1234567890"})
    assert settings.metrics_token == "scrape-token-1234567890"
    assert "scrape-token" not in repr(settings)
    assert Settings.from_env({}).metrics_token is None


# --- signing keys ---

PRODUCTION = {"BALLAST_ENV": "production", "BALLAST_ADMIN_PASSWORD": "admin-password-long"}


def key_file(tmp_path: Path, name: str, algorithm: Algorithm) -> str:
    path = tmp_path / name
    path.write_text(generate_pem(algorithm))
    path.chmod(0o600)
    return str(path)


def test_hs256_is_the_default_and_needs_no_key_file() -> None:
    settings = Settings.from_env({})
    assert settings.jwt_algorithm is Algorithm.HS256
    assert settings.jwt_private_key is None
    assert settings.jwt_audience is None


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
def test_production_refuses_an_asymmetric_algorithm_without_a_key_file(algorithm: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({**PRODUCTION, "BALLAST_JWT_ALGORITHM": algorithm})

    assert error.value.variable == "BALLAST_JWT_PRIVATE_KEY_FILE"
    assert "\n" not in str(error.value)


def test_production_with_a_key_file_needs_no_jwt_secret(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            **PRODUCTION,
            "BALLAST_JWT_ALGORITHM": "eddsa",
            "BALLAST_JWT_PRIVATE_KEY_FILE": key_file(tmp_path, "k.pem", Algorithm.EDDSA),
            "BALLAST_JWT_PREVIOUS_KEY_FILES": ",".join(
                key_file(tmp_path, f"old{i}.pem", Algorithm.EDDSA) for i in range(2)
            ),
            "BALLAST_JWT_AUDIENCE": "billing",
        }
    )
    assert settings.jwt_algorithm is Algorithm.EDDSA
    assert settings.jwt_private_key is not None and not settings.jwt_private_key_generated
    assert len(settings.jwt_previous_keys) == 2
    assert settings.jwt_audience == "billing"
    assert "PRIVATE KEY" not in repr(settings)


def test_development_without_a_key_file_generates_one() -> None:
    settings = Settings.from_env({"BALLAST_JWT_ALGORITHM": "ES256"})
    assert settings.jwt_private_key_generated
    assert settings.jwt_private_key is not None
    check_pem(settings.jwt_private_key, Algorithm.ES256, private=True)


@pytest.mark.parametrize(
    ("variable", "content", "problem"),
    [
        ("BALLAST_JWT_PRIVATE_KEY_FILE", None, "cannot read"),
        ("BALLAST_JWT_PRIVATE_KEY_FILE", "garbage", "not an unencrypted PEM"),
        ("BALLAST_JWT_PRIVATE_KEY_FILE", "es256", "not an Ed25519 key"),
        ("BALLAST_JWT_PRIVATE_KEY_FILE", "public", "must be private"),
        ("BALLAST_JWT_PREVIOUS_KEY_FILES", None, "cannot read"),
        ("BALLAST_JWT_PREVIOUS_KEY_FILES", "garbage", "not an unencrypted PEM"),
    ],
)
def test_an_unusable_key_file_names_its_variable(
    tmp_path: Path, variable: str, content: str | None, problem: str
) -> None:
    path = tmp_path / "key.pem"
    if content == "es256":
        path.write_text(generate_pem(Algorithm.ES256))
    elif content == "public":
        private = serialization.load_pem_private_key(generate_pem(Algorithm.EDDSA).encode(), None)
        path.write_bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    elif content is not None:
        path.write_text(content)
    if path.exists():
        path.chmod(0o600)
    env = {
        **PRODUCTION,
        "BALLAST_JWT_ALGORITHM": "EdDSA",
        "BALLAST_JWT_PRIVATE_KEY_FILE": key_file(tmp_path, "good.pem", Algorithm.EDDSA),
        variable: str(path),
    }
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)

    assert error.value.variable == variable
    assert problem in str(error.value)


def test_an_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"BALLAST_JWT_ALGORITHM": "RS256"})
    assert error.value.variable == "BALLAST_JWT_ALGORITHM"


def test_production_refuses_a_password_hash_cost_below_owasps_and_other_envs_allow_it() -> None:
    cheap = {"BALLAST_PASSWORD_HASH_MEMORY_KIB": "1024"}
    secret = {"BALLAST_JWT_SECRET": "kX9#mQ2$vL7@pR4!wT8&zN3*hJ6^bF1%"}
    with pytest.raises(ConfigError) as error:
        Settings.from_env({**PRODUCTION, **secret, **cheap})

    assert error.value.variable == "BALLAST_PASSWORD_HASH_MEMORY_KIB"
    assert Settings.from_env({**PRODUCTION, **secret}).password_hash_memory_kib == 19 * 1024
    assert Settings.from_env(cheap).password_hash_memory_kib == 1024
