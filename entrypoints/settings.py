# ruff: noqa: E501 - the table keeps one variable per line
"""Configuration: read once from the environment into frozen, validated values.

`VARIABLES` is the one table of what Ballast reads: each row names a variable, its parser
(and so its bounds), its default, its line in docs/CONFIGURATION.md and, through `field`,
the setting it fills. Parsing, the one-line errors, that page's configuration table
(`ballast config-table`), the `*_FILE` twins of secrets and the warning about unknown
`BALLAST_*` variables all come from it. A new variable is one row here and its attribute below.
"""

import enum
import os
import secrets
import sys
from collections.abc import Mapping
from typing import Any

import attrs

from adapters.jwt_keys import Algorithm
from adapters.rates_feed import RatesFormat
from adapters.redis.client import TlsFiles
from domain.clients import BALLAST_SCOPES, Client
from domain.users import PASSWORD_MAX, PASSWORD_MIN, User
from entrypoints import config_checks as checks
from entrypoints import config_parsers as p
from entrypoints.config_parsers import RateLimit
from entrypoints.config_variables import ConfigError, Variable, fields_of, parse, parse_all, unknown

__all__ = ["VARIABLES", "ConfigError", "Policies", "RateLimit", "RedisSettings", "Settings"]


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


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


class OnRedisDown(enum.StrEnum):
    FALLBACK = "fallback"
    FAIL_CLOSED = "fail_closed"


@attrs.frozen
class Policies:
    """What each capability that keeps state does while Redis is down: one
    BALLAST_<FIELD>_ON_REDIS_DOWN variable per field."""

    tokens: OnRedisDown = OnRedisDown.FALLBACK
    users: OnRedisDown = OnRedisDown.FALLBACK
    events: OnRedisDown = OnRedisDown.FALLBACK
    notifications: OnRedisDown = OnRedisDown.FALLBACK
    clients: OnRedisDown = OnRedisDown.FALLBACK


POLICY_NOTES = {
    "tokens": " (refresh families, revocations)",
    "clients": " (OAuth clients: under `fail_closed`, grants and client changes are 503 while Redis is down)",
}


def _policy_variable(capability: str) -> Variable:
    return Variable(
        f"BALLAST_{capability.upper()}_ON_REDIS_DOWN",
        p.choice(OnRedisDown),
        None,
        f"overrides `BALLAST_ON_REDIS_DOWN` for {capability}"
        + POLICY_NOTES.get(capability, "")
        + ".",
        field=f"policies.{capability}",
        default_doc="`BALLAST_ON_REDIS_DOWN`",
    )


SECONDS = p.seconds(60.0)
MIN_HASH_MEMORY_KIB = 19_456  # argon2id memory, KiB (19 MiB: OWASP's minimum)
V = Variable
# fmt: off
VARIABLES: tuple[Variable, ...] = (
    V("REDIS_URL", checks.redis_url, None, "where Redis is, in one of the forms of [Redis URLs](#redis-urls) (one server, Sentinel, Cluster, TLS). Unset: in-memory adapters, Redis reported `not_configured`.", default_doc="unset"),
    V("BALLAST_REDIS_PASSWORD", p.text, None, "the password of `REDIS_URL`'s user, when it is not written in the URL (both is an error).", secret=True),
    V("BALLAST_STORAGE", p.choice(Storage), "auto", "`auto` (Redis when `REDIS_URL` is set, else memory), `memory`, `redis` (refuses to start without `REDIS_URL`)."),
    V("BALLAST_ON_REDIS_DOWN", p.choice(OnRedisDown), "fallback", "`fallback`: serve from in-memory fallbacks and replay writes when Redis returns. `fail_closed`: answer 503 for operations that need Redis. Rate caches and rate limits never fail closed."),
    *(_policy_variable(f.name) for f in attrs.fields(Policies)),
    V("BALLAST_HOST", p.host, "127.0.0.1", "address `ballast serve` listens on (`--host` wins over it; same checks).", field="host"),
    V("BALLAST_PORT", p.port, "8000", "TCP port `ballast serve` listens on, 1-65535 (`--port` wins over it; same checks).", field="port"),
    V("BALLAST_ENV", p.choice(Environment), "development", "`development`, `test` or `production`. `production` refuses to start, with one line naming the variable and the rule, without a strong `BALLAST_JWT_SECRET` under HS256 (at least 32 bytes and 112 bits of estimated entropy: runs, sequences and repeats count as one character) or a private, readable `BALLAST_JWT_PRIVATE_KEY_FILE` under EdDSA/ES256 (not readable by other users), and an admin password or users file; it refuses unknown `BALLAST_*` variables, and says in one WARNING line at start when `/metrics` and `/status` are open (no `BALLAST_METRICS_TOKEN`). Only `development` generates an admin password; under `test` an unset one means no bootstrap admin.", field="env"),
    V("BALLAST_CORS_ORIGINS", p.origins, None, "browser origins (exact, like `https://app.example.com`; comma or space separated) allowed to call the API across origins: preflights answered for every method the API serves, with `Authorization`, `Content-Type` and `Idempotency-Key` allowed, no credentials, and the rate-limit and `WWW-Authenticate` headers exposed. Unset: no CORS headers at all.", field="cors_origins", default_doc="empty"),
    V("BALLAST_JWT_ALGORITHM", p.choice(Algorithm), "HS256", "`HS256` (shared secret), `EdDSA` (Ed25519) or `ES256` (P-256). With the asymmetric ones, other services verify tokens with the public keys at `/.well-known/jwks.json` and need no secret.", field="jwt_algorithm"),
    V("BALLAST_JWT_SECRET", p.text, None, "HS256 signing key.", secret=True, default_doc="random per run in development (one secret shared by all workers of one `serve`)"),
    V(checks.KEY_FILE, p.text, None, "EdDSA/ES256: PEM of the current signing key (from `ballast keygen --out`); in production not readable by other users.", default_doc="unset (development: a new key per start)"),
    V(checks.PREVIOUS_KEY_FILES, p.comma_list, None, "EdDSA/ES256: comma-separated PEM files (private or public) of earlier keys: their tokens stay valid until they expire, and they stay in the JWKS.", default_doc="empty"),
    V("BALLAST_JWT_AUDIENCE", p.text, None, "when set, tokens carry this `aud`, and a token without it or with another is refused.", field="jwt_audience"),
    V(checks.ISSUER, p.text, "ballast", "`iss` claim, checked on every token (and the `issuer` of the OAuth metadata). Production serves OAuth clients only when it is an https URL (`https://auth.example.com`): otherwise it refuses to start with a `BALLAST_CLIENTS_FILE` client, `POST /api/clients` answers 409 and `/oauth/token` issues nothing.", field="jwt_issuer"),
    V("BALLAST_ACCESS_TTL", p.whole(1), "900", "access token lifetime in seconds.", field="access_ttl"),
    V("BALLAST_REFRESH_TTL", p.whole(1), "2592000", "refresh token lifetime in seconds.", field="refresh_ttl"),
    V("BALLAST_ADMIN_PASSWORD", p.bounded_text(PASSWORD_MIN, PASSWORD_MAX), None, "password of the bootstrap user `admin` (role `admin`), 8-256 characters; in production at least 12, and not one repeated character, a sequence or a repeated pattern.", secret=True, default_doc="unset (development only: generated and printed once at start on standard output, never logged)"),
    V("BALLAST_USERS_FILE", p.text, None, 'JSON file `{"users": [{"username", "password_hash", "roles"}]}` (hashes from `ballast hash-password`). Authoritative for the users it defines (and for the bootstrap `admin`): at every start they replace stored users of the same name, and a user it defined before and no longer lists is removed, with every refresh family of that user ended and revoked (access tokens included). Users created through the API are left alone.'),
    V("BALLAST_RATE_LIMIT", p.rate_limit, "1000/minute", "default per-client limit, written `N/second`, `N/minute`, `N/hour` or `N/day`; `off` disables it (not the login limit).", field="rate_limit"),
    V("BALLAST_LOGIN_RATE_LIMIT", p.rate_limit, "10/minute", "login attempts per client address and username; `off` disables.", field="login_rate_limit"),
    V("BALLAST_RATES_URL", p.urls("http", "https", "file"), None, "one or several (comma separated) rates feeds: ECB XML (daily, 90-day, history) or the common JSON shape; unset: the built-in rates only (said once at start, at INFO). See [Currency](API.md#currency).", field="rates_urls"),
    V("BALLAST_RATES_FORMAT", p.choice(RatesFormat), "auto", "`auto` (detected from each answer), `ecb` or `json`.", field="rates_format"),
    V("BALLAST_RATES_TTL", p.whole(1), "3600", "seconds a fetched rate table is fresh.", field="rates_ttl"),
    V("BALLAST_WEBHOOK_ALLOWED_HOSTS", p.allowed_hosts, None, "hosts a `webhook` notification may target: `host` (any port) or `host:port` (that port only), `[v6]` and `[v6]:port` for IPv6 literals; anything else is refused (no SSRF). A private address must be named here as an IP literal (see [Notifications](API.md#notifications)).", field="webhook_allowed_hosts", default_doc="empty"),
    V("BALLAST_WEBHOOK_TIMEOUT", SECONDS, "10", "seconds one webhook attempt may take in all (resolution, connection, request, redirects and answer), in (0, 60].", field="webhook_deadline"),
    V("BALLAST_WEBHOOK_SECRET", checks.webhook_secrets, None, "Standard Webhooks signing secret(s), `whsec_...`, space separated while rotating (each one signs). `ballast webhook-secret` makes one. Production refuses webhook hosts without it.", field="webhook_secrets", secret=True, default_doc="unset (webhooks unsigned)"),
    V("BALLAST_NOTIFICATION_MAX_AGE", p.whole(60), "86400", "seconds a notification may stay `pending` (from acceptance, or from its redelivery) before it is `failed`; at least 60.", field="notification_max_age"),
    V("BALLAST_SMTP_URL", p.url("smtp", "smtps"), None, "`smtp://host:port` for the `email` channel.", field="smtp_url"),
    V("BALLAST_OAUTH_SCOPES", checks.oauth_scopes, None, "extra OAuth scope names (comma or space separated; each 1-64 of `A-Za-z0-9._:/-`, a letter or digit first) for other services' own APIs, e.g. `orders:write`; a client can be granted only these and Ballast's own. See Machine-to-machine.", field="oauth_scopes", default_doc="empty"),
    V(checks.CLIENTS_FILE, p.text, None, 'JSON file `{"clients": [{"client_id", "name", "client_secret_hash", "scopes", "audience"?, "disabled"?}]}` (hashes from `ballast hash-client-secret`). Authoritative for the clients it defines, like the users file: at every start they replace stored clients of the same id (changes through the API answer 409), and a client it defined before and no longer lists is removed, its tokens revoked. Production then needs an https URL `BALLAST_JWT_ISSUER`.'),
    V("BALLAST_CLIENT_TOKEN_TTL", p.whole(1), "3600", "lifetime in seconds of an OAuth client's access token.", field="client_token_ttl"),
    V("BALLAST_CLIENT_SECRET_OVERLAP", p.whole(0), "3600", "seconds a client's previous secret keeps working after `POST /api/clients/{client_id}/secret` (0: refused at once).", field="client_secret_overlap"),
    V("BALLAST_PUBLIC_URL", checks.public_url, None, "the base URL clients use (`https://auth.example.com`), for the absolute URLs of `/.well-known/oauth-authorization-server`.", field="public_url", default_doc="unset (each request's own scheme and host)"),
    V("BALLAST_METRICS_TOKEN", p.text, None, "when set, `GET /metrics` and `GET /status` need `Authorization: Bearer <this token>` (compared in constant time; 401 problem+json otherwise). Unset: `/metrics` is open, as Prometheus expects (production says so in one WARNING line at start). Use a long random value.", field="metrics_token", secret=True, tuning=True),
    V("BALLAST_TRUSTED_PROXIES", p.networks, None, "IP addresses or CIDR blocks (comma or space separated) of proxies whose `X-Forwarded-For` is believed; anyone else's is ignored.", field="trusted_proxies", tuning=True, default_doc="empty"),
    V("BALLAST_REDIS_CA_FILE", p.text, None, "PEM file of the CA that signed the Redis server's certificate, for `rediss` URLs (a managed Redis with a private CA).", tuning=True, default_doc="unset (system CAs)"),
    V("BALLAST_REDIS_CERT_FILE", p.text, None, "PEM client certificate, when the Redis server asks for client certificates (`tls-auth-clients`); its key may sit in the same file.", tuning=True),
    V("BALLAST_REDIS_KEY_FILE", p.text, None, "PEM key of `BALLAST_REDIS_CERT_FILE`, when it is in a file of its own.", tuning=True),
    V("BALLAST_REDIS_CONNECT_TIMEOUT", SECONDS, "0.25", "seconds to connect to Redis, in (0, 60].", field="redis.connect_timeout", tuning=True),
    V("BALLAST_REDIS_COMMAND_TIMEOUT", SECONDS, "0.25", "seconds one Redis command may take before it counts as a failure, in (0, 60].", field="redis.command_timeout", tuning=True),
    V("BALLAST_REDIS_FAILURES_TO_OPEN", p.whole(1), "3", "consecutive Redis failures that open the circuit breaker.", field="redis.failures_to_open", tuning=True),
    V("BALLAST_REDIS_HEARTBEAT_INTERVAL", SECONDS, "0.5", "seconds between two heartbeat PINGs while the breaker is closed, in (0, 60].", field="redis.heartbeat_interval", tuning=True),
    V("BALLAST_REDIS_HEARTBEAT_TIMEOUT", SECONDS, "0.25", "seconds a heartbeat PING may take; no answer opens the breaker, in (0, 60].", field="redis.heartbeat_timeout", tuning=True),
    V("BALLAST_REPLAY_JOURNAL_MAX", p.whole(1), "100000", "writes kept for replay while Redis is down; older ones are dropped and counted.", field="redis.journal_max", tuning=True),
    V("BALLAST_FALLBACK_MAX_ENTRIES", p.whole(1), "100000", "entries each in-memory fallback holds while Redis is down.", field="redis.fallback_max", tuning=True),
    V("BALLAST_PASSWORD_HASH_MEMORY_KIB", p.whole(8, 4_194_304), str(MIN_HASH_MEMORY_KIB), "memory of one argon2id hash in KiB (2 passes, 1 lane: at 19456, OWASP's minimum); lower only for tests, production refuses less than 19456. See [Password hashing](SECURITY.md#password-hashing).", field="password_hash_memory_kib", tuning=True),
    V("BALLAST_LOG_LEVEL", p.log_level, "INFO", "level of the lines written to standard error: `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`.", field="log_level", tuning=True),
    V("BALLAST_LOG_FORMAT", p.choice(LogFormat), "logfmt", "`logfmt` (`key=value` pairs, quoted and escaped when needed) or `json` (one object per line); see [Logs](OPERATIONS.md#logs).", field="log_format", tuning=True),
    V("BALLAST_ACCESS_LOG", p.choice(OnOff), "on", "`off`: no access-log line per request (for those who log at the proxy).", tuning=True),
)
# fmt: on
ROWS = {row.name: row for row in VARIABLES}


def log_format_of(env: Mapping[str, str]) -> LogFormat:
    """BALLAST_LOG_FORMAT; read before the rest, so that the first lines have their form."""
    value: LogFormat = parse(ROWS["BALLAST_LOG_FORMAT"], env)
    return value


def log_level_of(env: Mapping[str, str]) -> str:
    """BALLAST_LOG_LEVEL, for the logging set up before the settings are read."""
    value: str = parse(ROWS["BALLAST_LOG_LEVEL"], env)
    return value


def print_admin_password(password: str) -> None:
    """The generated development admin password, once, on standard output: the logs go to
    standard error, and the password is never a log line (log shippers would keep it)."""
    print(f"ballast: development admin password: {password}", file=sys.stdout, flush=True)


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
    log_level: str = "INFO"
    port: int = 8000
    redis: RedisSettings | None = None
    storage: Storage = Storage.MEMORY
    policies: Policies = Policies()
    cors_origins: tuple[str, ...] = ()
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
    clients: tuple[Client, ...] = ()
    rate_limit: RateLimit | None = RateLimit(1000, 60)  # noqa: RUF009 - frozen
    login_rate_limit: RateLimit | None = RateLimit(10, 60)  # noqa: RUF009 - frozen
    trusted_proxies: tuple[str, ...] = ()
    access_log: bool = True
    rates_urls: tuple[str, ...] = ()
    rates_format: RatesFormat = RatesFormat.AUTO
    rates_ttl: int = 3600
    webhook_allowed_hosts: tuple[str, ...] = ()
    webhook_secrets: tuple[str, ...] = attrs.field(repr=False, default=())
    webhook_deadline: float = 10.0
    notification_max_age: int = 86_400
    smtp_url: str | None = None
    password_hash_memory_kib: int = MIN_HASH_MEMORY_KIB  # argon2id
    metrics_token: str | None = attrs.field(repr=False, default=None)
    oauth_scopes: tuple[str, ...] = ()  # the operator's own, beside Ballast's
    client_token_ttl: int = 3600
    client_secret_overlap: int = 3600
    public_url: str | None = None
    # What start says in one WARNING line each (unknown variables, open /metrics).
    warnings: tuple[str, ...] = ()

    @property
    def uses_redis(self) -> bool:
        return self.storage is Storage.REDIS

    @property
    def production(self) -> bool:
        return self.env == Environment.PRODUCTION

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        return _read(os.environ if environ is None else environ)


def _read(env: Mapping[str, str]) -> Settings:
    values = parse_all(VARIABLES, env)
    production = values["BALLAST_ENV"] is Environment.PRODUCTION
    warnings = _unknown_variables(env, production)
    storage = _storage(values)
    general = values["BALLAST_ON_REDIS_DOWN"]
    policies = Policies(
        **(
            {f.name: general for f in attrs.fields(Policies)}
            | fields_of(VARIABLES, values, "policies")
        )
    )
    algorithm: Algorithm = values["BALLAST_JWT_ALGORITHM"]
    key_path = values[checks.KEY_FILE]
    private_key, previous_keys = checks.signing_keys(
        algorithm, key_path, values[checks.PREVIOUS_KEY_FILES] or (), production
    )
    secret = values["BALLAST_JWT_SECRET"]
    if production and not algorithm.asymmetric and (problem := checks.weak_secret(secret)):
        raise ConfigError("BALLAST_JWT_SECRET", problem)
    admin_password, generated = _admin_password(values, production)
    hooks, signed = values["BALLAST_WEBHOOK_ALLOWED_HOSTS"], values["BALLAST_WEBHOOK_SECRET"]
    if production and hooks and not signed:
        raise ConfigError(
            "BALLAST_WEBHOOK_SECRET",
            "production needs a signing secret when BALLAST_WEBHOOK_ALLOWED_HOSTS is set",
        )
    if production and values["BALLAST_PASSWORD_HASH_MEMORY_KIB"] < MIN_HASH_MEMORY_KIB:
        raise ConfigError(
            "BALLAST_PASSWORD_HASH_MEMORY_KIB",
            f"production needs at least {MIN_HASH_MEMORY_KIB} (OWASP's argon2id minimum)",
        )
    if production and values["BALLAST_METRICS_TOKEN"] is None:
        warnings.append(
            "event=metrics_open reason=no_metrics_token"
            ' detail="/metrics and /status answer anyone: set BALLAST_METRICS_TOKEN"'
        )
    users_path = values["BALLAST_USERS_FILE"]
    clients = _clients(values, production)
    return Settings(
        **fields_of(VARIABLES, values),
        redis=_redis(values, env),
        storage=storage,
        policies=policies,
        jwt_secret=secret or secrets.token_urlsafe(48),
        jwt_private_key=private_key,
        jwt_private_key_generated=algorithm.asymmetric and key_path is None,
        jwt_previous_keys=previous_keys,
        admin_password=admin_password,
        admin_password_generated=generated,
        users=checks.users_file(users_path) if users_path else (),
        clients=clients,
        access_log=values["BALLAST_ACCESS_LOG"] is OnOff.ON,
        warnings=tuple(warnings),
    )


def _clients(values: dict[str, Any], production: bool) -> tuple[Client, ...]:
    """The clients of BALLAST_CLIENTS_FILE; production then needs an https URL issuer (the
    `issuer` of the RFC 8414 metadata, which clients check)."""
    path = values[checks.CLIENTS_FILE]
    if path is None:
        return ()
    known = (*BALLAST_SCOPES, *(values["BALLAST_OAUTH_SCOPES"] or ()))
    clients = checks.clients_file(path, known)
    refusal = checks.clients_refusal(values[checks.ISSUER], production)
    if clients and refusal:
        raise ConfigError(checks.ISSUER, refusal)
    return clients


def _unknown_variables(env: Mapping[str, str], production: bool) -> list[str]:
    """One warning per unknown BALLAST_* variable; production refuses the first."""
    warnings = []
    for name, closest in unknown(VARIABLES, env):
        hint = f" (did you mean {closest}?)" if closest else ""
        if production:
            raise ConfigError(name, f"is not a Ballast variable{hint}; production refuses it")
        warnings.append(f"event=unknown_variable variable={name} closest={closest or '-'}")
    return warnings


def _storage(values: dict[str, Any]) -> Storage:
    storage: Storage = values["BALLAST_STORAGE"]
    if storage is Storage.REDIS and values["REDIS_URL"] is None:
        raise ConfigError("BALLAST_STORAGE", "'redis' needs REDIS_URL to be set")
    if storage is Storage.AUTO:
        return Storage.REDIS if values["REDIS_URL"] else Storage.MEMORY
    return storage


def _redis(values: dict[str, Any], env: Mapping[str, str]) -> RedisSettings | None:
    url = values["REDIS_URL"]
    paths = {
        name: values[f"BALLAST_REDIS_{name.upper()}"]
        for name in ("ca_file", "cert_file", "key_file")
    }
    if url is None:
        if values["BALLAST_REDIS_PASSWORD"] is not None:
            raise ConfigError("BALLAST_REDIS_PASSWORD", "is set but REDIS_URL is not")
        return None
    return RedisSettings(
        url=checks.with_password(url, values["BALLAST_REDIS_PASSWORD"]),
        tls=checks.tls_files(paths, url),
        **fields_of(VARIABLES, values, "redis"),
    )


def _admin_password(values: dict[str, Any], production: bool) -> tuple[str | None, bool]:
    """The bootstrap admin's password, and whether it was generated (development only)."""
    password: str | None = values["BALLAST_ADMIN_PASSWORD"]
    users_file = values["BALLAST_USERS_FILE"]
    if production and password is None and users_file is None:
        raise ConfigError(
            "BALLAST_ADMIN_PASSWORD", "production needs an admin password or BALLAST_USERS_FILE"
        )
    if production and password is not None and (problem := checks.weak_password(password)):
        raise ConfigError("BALLAST_ADMIN_PASSWORD", problem)
    # Only development invents an admin password (and `ballast serve` prints it); under
    # `test` an unset password means no bootstrap admin.
    if values["BALLAST_ENV"] is Environment.DEVELOPMENT and password is None and not users_file:
        return secrets.token_urlsafe(12), True
    return password, False
