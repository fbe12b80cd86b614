"""Configuration: read once from the environment into frozen, validated values.

Every cast and default lives here; a bad value raises ConfigError naming the variable, and
the process stops before it serves.
"""

import base64
import binascii
import enum
import ipaddress
import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import attrs

from adapters.jwt_keys import Algorithm, KeyFileError, check_pem, generate_pem
from adapters.rates_feed import RatesFormat
from adapters.redis.client import TlsFiles
from adapters.redis.url import RedisUrlError, parse_redis_url
from domain.errors import ValidationError
from domain.users import User, UserSource, parse_roles, username_problem


class ConfigError(Exception):
    """One bad environment variable: its name and what is allowed."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {problem}")


class Storage(enum.StrEnum):
    AUTO = "auto"
    MEMORY = "memory"
    REDIS = "redis"


class OnOff(enum.StrEnum):
    ON = "on"
    OFF = "off"


class LogFormat(enum.StrEnum):
    LOGFMT = "logfmt"
    JSON = "json"


def log_format_of(env: Mapping[str, str]) -> LogFormat:
    """BALLAST_LOG_FORMAT; read before the rest, so that the first lines have their form."""
    raw = env.get("BALLAST_LOG_FORMAT", "").strip().lower() or LogFormat.LOGFMT.value
    try:
        return LogFormat(raw)
    except ValueError:
        raise ConfigError("BALLAST_LOG_FORMAT", f"{raw!r} is not one of: logfmt, json") from None


class OnRedisDown(enum.StrEnum):
    FALLBACK = "fallback"
    FAIL_CLOSED = "fail_closed"


RATE_LIMIT = re.compile(r"(\d+)\s*/\s*(second|minute|hour|day)")
MIN_PRODUCTION_SECRET = 32  # bytes
MIN_SECRET_VARIETY = 16  # distinct bytes: "a" * 32 is long but guessable
MIN_PRODUCTION_PASSWORD = 12  # characters of the bootstrap admin's password


def print_admin_password(password: str) -> None:
    """The generated development admin password, once, on standard output: the logs go to
    standard error, and the password is never a log line (log shippers would keep it)."""
    print(f"ballast: development admin password: {password}", file=sys.stdout, flush=True)


def weak_secret(secret: str | None) -> str | None:
    """Why `secret` is too weak to sign production tokens (None: strong enough): at least
    MIN_PRODUCTION_SECRET bytes, of which at least MIN_SECRET_VARIETY distinct."""
    raw = (secret or "").encode()
    if len(raw) < MIN_PRODUCTION_SECRET:
        return f"production needs a secret of at least {MIN_PRODUCTION_SECRET} bytes"
    if len(set(raw)) < MIN_SECRET_VARIETY:
        return (
            f"production needs a secret of at least {MIN_SECRET_VARIETY} distinct bytes"
            f" (this one has {len(set(raw))}); generate one, e.g. with"
            " `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    return None


@attrs.frozen
class RateLimit:
    """`count` requests per `period` seconds."""

    count: int
    period: int


@attrs.frozen
class Policies:
    """What each capability does while Redis is down."""

    tokens: OnRedisDown = OnRedisDown.FALLBACK
    users: OnRedisDown = OnRedisDown.FALLBACK
    events: OnRedisDown = OnRedisDown.FALLBACK
    notifications: OnRedisDown = OnRedisDown.FALLBACK


@attrs.frozen
class RedisSettings:
    url: str = attrs.field(repr=False)  # may hold a password
    connect_timeout: float = 0.25
    command_timeout: float = 0.25
    failures_to_open: int = 3
    heartbeat_interval: float = 0.5
    heartbeat_timeout: float = 0.25
    journal_max: int = 100_000
    fallback_max: int = 100_000
    tls: TlsFiles = attrs.field(factory=TlsFiles)


@attrs.frozen
class Settings:
    env: str = "development"
    host: str = "127.0.0.1"
    log_format: LogFormat = LogFormat.LOGFMT
    port: int = 8000
    redis: RedisSettings | None = None
    storage: Storage = Storage.MEMORY
    policies: Policies = Policies()
    jwt_secret: str = attrs.field(repr=False, factory=lambda: secrets.token_urlsafe(48))
    jwt_issuer: str = "ballast"
    jwt_algorithm: Algorithm = Algorithm.HS256
    jwt_private_key: bytes | None = attrs.field(repr=False, default=None)
    jwt_private_key_generated: bool = False
    jwt_previous_keys: tuple[bytes, ...] = attrs.field(repr=False, default=())
    jwt_audience: str | None = None
    access_ttl: int = 900
    refresh_ttl: int = 2_592_000
    admin_password: str | None = attrs.field(repr=False, default=None)
    admin_password_generated: bool = False
    users: tuple[User, ...] = ()
    rate_limit: RateLimit | None = RateLimit(1000, 60)
    login_rate_limit: RateLimit | None = RateLimit(10, 60)
    trusted_proxies: tuple[str, ...] = ()
    access_log: bool = True
    rates_urls: tuple[str, ...] = ()
    rates_format: RatesFormat = RatesFormat.AUTO
    rates_ttl: int = 3600
    webhook_allowed_hosts: tuple[str, ...] = ()
    webhook_secrets: tuple[str, ...] = attrs.field(repr=False, default=())
    notification_max_age: int = 86_400
    smtp_url: str | None = None
    password_hash_n: int = 2**15
    metrics_token: str | None = attrs.field(repr=False, default=None)

    @property
    def uses_redis(self) -> bool:
        return self.storage is Storage.REDIS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        return _read(os.environ if environ is None else environ)


def _read(env: Mapping[str, str]) -> "Settings":
    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    def choice(name: str, kind: type[enum.StrEnum], default: str) -> enum.StrEnum:
        raw = (get(name) or default).lower()
        try:
            return kind(raw)
        except ValueError:
            allowed = ", ".join(k.value for k in kind)
            raise ConfigError(name, f"{raw!r} is not one of: {allowed}") from None

    def integer(name: str, default: int, minimum: int = 1) -> int:
        raw = get(name)
        if raw is None:
            return default
        if not raw.isdigit() or int(raw) < minimum:
            raise ConfigError(name, f"{raw!r} is not a whole number >= {minimum}")
        return int(raw)

    def seconds(name: str, default: float) -> float:
        raw = get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 < value <= 60:
            raise ConfigError(name, f"{raw!r} is not a number of seconds in (0, 60]")
        return value

    def url(name: str, schemes: tuple[str, ...]) -> str | None:
        raw = get(name)
        if raw is None:
            return None
        try:
            parts = urlsplit(raw)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise ConfigError(name, f"{raw!r} is not a valid URL") from None
        if parts.scheme not in schemes or not (parts.hostname or parts.path):
            raise ConfigError(name, f"{raw!r} must be a URL with scheme {' or '.join(schemes)}")
        return raw

    def limit(name: str, default: str) -> RateLimit | None:
        raw = (get(name) or default).lower()
        if raw == "off":
            return None
        m = RATE_LIMIT.fullmatch(raw)
        if not m or int(m[1]) < 1:
            raise ConfigError(
                name, f"{raw!r} is not like '100/minute' (second|minute|hour|day) or 'off'"
            )
        period = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[m[2]]
        return RateLimit(int(m[1]), period)

    def words(name: str) -> tuple[str, ...]:
        return tuple(w for w in re.split(r"[,\s]+", get(name) or "") if w)

    def networks(name: str) -> tuple[str, ...]:
        entries = words(name)
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ConfigError(name, f"{entry!r} is not an IP address or CIDR block") from None
        return entries

    env_name = (get("BALLAST_ENV") or "development").lower()
    if env_name not in ("development", "production", "test"):
        raise ConfigError(
            "BALLAST_ENV", f"{env_name!r} is not one of: development, production, test"
        )
    production = env_name == "production"

    redis_url = get("REDIS_URL")
    if redis_url is not None:
        try:
            target = parse_redis_url(redis_url)
        except RedisUrlError as e:
            raise ConfigError("REDIS_URL", str(e)) from None
    storage = choice("BALLAST_STORAGE", Storage, "auto")
    if storage is Storage.REDIS and redis_url is None:
        raise ConfigError("BALLAST_STORAGE", "'redis' needs REDIS_URL to be set")
    if storage is Storage.AUTO:
        storage = Storage.REDIS if redis_url else Storage.MEMORY

    default_policy = choice("BALLAST_ON_REDIS_DOWN", OnRedisDown, "fallback").value
    policies = Policies(
        **{
            cap: OnRedisDown(
                choice(f"BALLAST_{cap.upper()}_ON_REDIS_DOWN", OnRedisDown, default_policy)
            )
            for cap in ("tokens", "users", "events", "notifications")
        }
    )

    algorithm, private_key, previous_keys = _keys(get, production)
    secret = get("BALLAST_JWT_SECRET")
    if production and not algorithm.asymmetric and (problem := weak_secret(secret)) is not None:
        raise ConfigError("BALLAST_JWT_SECRET", problem)
    admin_password = get("BALLAST_ADMIN_PASSWORD")
    users_file = get("BALLAST_USERS_FILE")
    if production and admin_password is None and users_file is None:
        raise ConfigError(
            "BALLAST_ADMIN_PASSWORD", "production needs an admin password or BALLAST_USERS_FILE"
        )
    if admin_password is not None and not 8 <= len(admin_password) <= 256:
        raise ConfigError("BALLAST_ADMIN_PASSWORD", "must be 8-256 characters")
    if production and admin_password is not None and len(admin_password) < MIN_PRODUCTION_PASSWORD:
        raise ConfigError(
            "BALLAST_ADMIN_PASSWORD",
            f"production needs an admin password of at least {MIN_PRODUCTION_PASSWORD} characters",
        )
    # Only development invents an admin password (and `ballast serve` prints it); under
    # `test` an unset password means no bootstrap admin.
    generated = env_name == "development" and admin_password is None and users_file is None
    if generated:
        admin_password = secrets.token_urlsafe(12)

    webhook_hosts = tuple(h.lower() for h in words("BALLAST_WEBHOOK_ALLOWED_HOSTS"))
    webhook_secrets = tuple(
        _webhook_secret(i, w) for i, w in enumerate((get("BALLAST_WEBHOOK_SECRET") or "").split())
    )
    if production and webhook_hosts and not webhook_secrets:
        raise ConfigError(
            "BALLAST_WEBHOOK_SECRET",
            "production needs a signing secret when BALLAST_WEBHOOK_ALLOWED_HOSTS is set",
        )

    rates_urls = tuple(
        _rates_url(position, raw)
        for position, raw in enumerate(_split(get("BALLAST_RATES_URL"), ","))
    )

    redis = None
    if redis_url is not None:
        redis = RedisSettings(
            url=redis_url,
            connect_timeout=seconds("BALLAST_REDIS_CONNECT_TIMEOUT", 0.25),
            command_timeout=seconds("BALLAST_REDIS_COMMAND_TIMEOUT", 0.25),
            failures_to_open=integer("BALLAST_REDIS_FAILURES_TO_OPEN", 3),
            heartbeat_interval=seconds("BALLAST_REDIS_HEARTBEAT_INTERVAL", 0.5),
            heartbeat_timeout=seconds("BALLAST_REDIS_HEARTBEAT_TIMEOUT", 0.25),
            journal_max=integer("BALLAST_REPLAY_JOURNAL_MAX", 100_000),
            fallback_max=integer("BALLAST_FALLBACK_MAX_ENTRIES", 100_000),
            tls=_tls_files(get, target.tls),
        )

    port = integer("BALLAST_PORT", 8000)
    if port > 65535:
        raise ConfigError("BALLAST_PORT", f"{port} is not a port number (1-65535)")

    return Settings(
        env=env_name,
        host=get("BALLAST_HOST") or "127.0.0.1",
        log_format=log_format_of(env),
        port=port,
        redis=redis,
        storage=Storage(storage),
        policies=policies,
        jwt_secret=secret or secrets.token_urlsafe(48),
        jwt_issuer=get("BALLAST_JWT_ISSUER") or "ballast",
        jwt_algorithm=algorithm,
        jwt_private_key=private_key,
        jwt_private_key_generated=algorithm.asymmetric and get(KEY_FILE) is None,
        jwt_previous_keys=previous_keys,
        jwt_audience=get("BALLAST_JWT_AUDIENCE"),
        access_ttl=integer("BALLAST_ACCESS_TTL", 900),
        refresh_ttl=integer("BALLAST_REFRESH_TTL", 2_592_000),
        admin_password=admin_password,
        admin_password_generated=generated,
        users=_users_file(users_file) if users_file else (),
        rate_limit=limit("BALLAST_RATE_LIMIT", "1000/minute"),
        login_rate_limit=limit("BALLAST_LOGIN_RATE_LIMIT", "10/minute"),
        trusted_proxies=networks("BALLAST_TRUSTED_PROXIES"),
        access_log=choice("BALLAST_ACCESS_LOG", OnOff, "on") is OnOff.ON,
        rates_urls=rates_urls,
        rates_format=RatesFormat(choice("BALLAST_RATES_FORMAT", RatesFormat, "auto")),
        rates_ttl=integer("BALLAST_RATES_TTL", 3600),
        webhook_allowed_hosts=webhook_hosts,
        webhook_secrets=webhook_secrets,
        notification_max_age=integer("BALLAST_NOTIFICATION_MAX_AGE", 86_400, minimum=60),
        smtp_url=url("BALLAST_SMTP_URL", ("smtp", "smtps")),
        password_hash_n=2 ** integer("BALLAST_PASSWORD_HASH_LOG2_N", 15, minimum=10),
        metrics_token=get("BALLAST_METRICS_TOKEN"),
    )


def _tls_files(get: Callable[[str], str | None], tls: bool) -> TlsFiles:
    """The PEM files of BALLAST_REDIS_*_FILE, each checked readable now rather than at the
    first connection."""
    paths = {
        name: get(f"BALLAST_REDIS_{name.upper()}") for name in ("ca_file", "cert_file", "key_file")
    }
    for name, path in paths.items():
        variable = f"BALLAST_REDIS_{name.upper()}"
        if path is None:
            continue
        if not tls:
            raise ConfigError(variable, "is set but REDIS_URL does not use TLS (rediss://...)")
        try:
            with Path(path).open("rb") as f:
                f.read(1)
        except OSError as e:
            raise ConfigError(variable, f"cannot read {path!r}: {e.strerror}") from None
    if paths["key_file"] and not paths["cert_file"]:
        raise ConfigError("BALLAST_REDIS_KEY_FILE", "needs BALLAST_REDIS_CERT_FILE as well")
    return TlsFiles(**paths)


def _split(raw: str | None, separator: str) -> list[str]:
    return [w.strip() for w in (raw or "").split(separator) if w.strip()]


def _rates_url(position: int, raw: str) -> str:
    """One feed URL; the error names it by position, since a URL may carry an API key."""
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https", "file")
        or not (parts.hostname or (parts.scheme == "file" and parts.path))
    ):
        raise ConfigError(
            "BALLAST_RATES_URL", f"URL {position + 1} is not an http, https or file URL"
        )
    return raw


def _webhook_secret(position: int, secret: str) -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of 24 to 64 random bytes."""
    body = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error:
        key = b""
    if not secret.startswith("whsec_") or not 24 <= len(key) <= 64:
        # The value itself is never echoed: it is a secret.
        raise ConfigError(
            "BALLAST_WEBHOOK_SECRET",
            f"secret {position + 1} is not 'whsec_' and base64 of 24-64 bytes"
            " (make one with: ballast webhook-secret)",
        )
    return secret


KEY_FILE = "BALLAST_JWT_PRIVATE_KEY_FILE"
PREVIOUS_KEY_FILES = "BALLAST_JWT_PREVIOUS_KEY_FILES"


def _keys(
    get: Callable[[str], str | None], production: bool
) -> tuple[Algorithm, bytes | None, tuple[bytes, ...]]:
    """The algorithm, the signing key's PEM and the earlier keys' PEMs, each checked."""
    name = "BALLAST_JWT_ALGORITHM"
    raw = get(name) or "HS256"
    algorithm = {a.value.lower(): a for a in Algorithm}.get(raw.lower())
    if algorithm is None:
        raise ConfigError(name, f"{raw!r} is not one of: {', '.join(a.value for a in Algorithm)}")
    if not algorithm.asymmetric:
        return algorithm, None, ()

    def read(variable: str, path: str, private: bool) -> bytes:
        try:
            pem = Path(path).read_bytes()
        except OSError as e:
            raise ConfigError(variable, f"cannot read {path!r}: {e.strerror}") from None
        try:
            check_pem(pem, algorithm, private=private)
        except KeyFileError as e:
            raise ConfigError(variable, f"{path!r} {e}") from None
        return pem

    path = get(KEY_FILE)
    if path is None and production:
        raise ConfigError(KEY_FILE, f"production under {algorithm.value} needs a private key file")
    # Development without a key file: a new key per start (tokens die with the process).
    current = read(KEY_FILE, path, True) if path else generate_pem(algorithm).encode()
    previous_paths = [p for p in (get(PREVIOUS_KEY_FILES) or "").split(",") if p.strip()]
    previous = tuple(read(PREVIOUS_KEY_FILES, p.strip(), False) for p in previous_paths)
    return algorithm, current, previous


def _users_file(path: str) -> tuple[User, ...]:
    name = "BALLAST_USERS_FILE"
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise ConfigError(name, f"cannot read {path!r}: {e.strerror}") from None
    except ValueError:
        raise ConfigError(name, f"{path!r} is not valid JSON") from None
    entries = data.get("users") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(name, 'must hold {"users": [{"username", "password_hash", "roles"}]}')
    users = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigError(name, f"users[{i}] is not an object")
        username, hashed = entry.get("username"), entry.get("password_hash")
        if username_problem(username) or not isinstance(username, str):
            raise ConfigError(name, f"users[{i}].username is not a valid username")
        if not isinstance(hashed, str) or not hashed.startswith("scrypt$"):
            raise ConfigError(name, f"users[{i}].password_hash is not from 'ballast hash-password'")
        try:
            roles = parse_roles(entry.get("roles", []))
        except ValidationError:
            raise ConfigError(name, f"users[{i}].roles must be a list of admin, service") from None
        users.append(User(username, hashed, roles, source=UserSource.FILE))
    return tuple(users)
