"""The configuration rules that read files or look at more than one variable: signing keys,
the users file, Redis's TLS files and password, webhook secrets, and what production refuses.

Each raises ConfigError naming the variable an operator has to change.
"""

import base64
import json
import re
import stat
from pathlib import Path
from urllib.parse import quote, urlsplit

from adapters.client_secrets import is_client_secret_hash
from adapters.jwt_keys import Algorithm, KeyFileError, check_pem, generate_pem
from adapters.redis.client import TlsFiles
from adapters.redis.url import RedisUrlError, parse_redis_url
from domain.clients import (
    AUDIENCE_PATTERN,
    BALLAST_SCOPES,
    NAME_PATTERN,
    SCOPE_PATTERN,
    Client,
    client_id_problem,
    parse_scopes,
)
from domain.errors import ValidationError
from domain.users import User, UserSource, canonical_username, parse_roles
from entrypoints.config_parsers import Invalid
from entrypoints.config_variables import ConfigError
from entrypoints.secret_strength import entropy_bits

MIN_PRODUCTION_SECRET = 32  # bytes
# Estimated (secret_strength.py); NIST SP 800-57's floor. "0123456789abcdef" * 2 has ~16.
MIN_SECRET_BITS = 112
MIN_PRODUCTION_PASSWORD = 12  # characters of the bootstrap admin's password
MIN_PASSWORD_BITS = 40  # estimated: refuses one repeated character, a sequence, a pattern
KEY_FILE = "BALLAST_JWT_PRIVATE_KEY_FILE"
PREVIOUS_KEY_FILES = "BALLAST_JWT_PREVIOUS_KEY_FILES"


def weak_secret(secret: str | None) -> str | None:
    """Why `secret` is too weak to sign production tokens (None: strong enough)."""
    raw = secret or ""
    if len(raw.encode()) < MIN_PRODUCTION_SECRET:
        return f"production needs a secret of at least {MIN_PRODUCTION_SECRET} bytes"
    bits = entropy_bits(raw)
    if bits < MIN_SECRET_BITS:
        return (
            f"production needs a secret of at least {MIN_SECRET_BITS} bits of estimated entropy"
            f" (this one: about {bits:.0f}; runs, sequences and repeats count as one character);"
            " generate one, e.g. with `openssl rand -base64 48`"
        )
    return None


def weak_password(password: str) -> str | None:
    """Why the production admin password is too weak (None: acceptable)."""
    if len(password) < MIN_PRODUCTION_PASSWORD:
        return (
            f"production needs an admin password of at least {MIN_PRODUCTION_PASSWORD} characters"
        )
    if entropy_bits(password) < MIN_PASSWORD_BITS:
        return (
            "production refuses an admin password made of one repeated character, a sequence"
            " or a repeated pattern"
        )
    return None


def redis_url(raw: str) -> str:
    """REDIS_URL, checked; the error never repeats the URL (it may hold a password)."""
    try:
        parse_redis_url(raw)
    except RedisUrlError as e:
        raise Invalid(str(e)) from None
    return raw


def with_password(url: str, password: str | None) -> str:
    """REDIS_URL with BALLAST_REDIS_PASSWORD put in, percent-encoded."""
    if password is None:
        return url
    if parse_redis_url(url).password is not None:
        raise ConfigError(
            "BALLAST_REDIS_PASSWORD", "REDIS_URL already holds a password: set only one of them"
        )
    scheme, _, rest = url.partition("://")
    user, at, hosts = rest.partition("@")
    if not at:
        user, hosts = "", rest
    return f"{scheme}://{user}:{quote(password, safe='')}@{hosts}"


def tls_files(paths: dict[str, str | None], url: str) -> TlsFiles:
    """The PEM files of BALLAST_REDIS_*_FILE, each checked readable now rather than at the
    first connection."""
    tls = parse_redis_url(url).tls
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


def webhook_secrets(raw: str) -> tuple[str, ...]:
    """Standard Webhooks secrets, space separated: `whsec_` and base64 of 24 to 64 bytes."""
    secrets = raw.split()
    for position, secret in enumerate(secrets, 1):
        body = secret.removeprefix("whsec_")
        try:
            key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except ValueError:  # binascii.Error, or a character outside ASCII
            key = b""
        if not secret.startswith("whsec_") or not 24 <= len(key) <= 64:
            # The value itself is never echoed: it is a secret.
            raise Invalid(
                f"secret {position} is not 'whsec_' and base64 of 24-64 bytes"
                " (make one with: ballast webhook-secret)"
            )
    return tuple(secrets)


def _read_key(variable: str, path: str, algorithm: Algorithm, private: bool) -> bytes:
    try:
        pem = Path(path).read_bytes()
    except OSError as e:
        raise ConfigError(variable, f"cannot read {path!r}: {e.strerror}") from None
    try:
        check_pem(pem, algorithm, private=private)
    except KeyFileError as e:
        raise ConfigError(variable, f"{path!r} {e}") from None
    return pem


def signing_keys(
    algorithm: Algorithm, path: str | None, previous: tuple[str, ...], production: bool
) -> tuple[bytes | None, tuple[bytes, ...]]:
    """The signing key's PEM and the earlier keys' PEMs, each checked."""
    if not algorithm.asymmetric:
        return None, ()
    if path is None and production:
        raise ConfigError(KEY_FILE, f"production under {algorithm.value} needs a private key file")
    if path is not None and production:
        mode = Path(path).stat().st_mode if Path(path).exists() else 0
        if mode & (stat.S_IRWXO | stat.S_IWGRP):
            raise ConfigError(
                KEY_FILE,
                f"{path!r} can be read or written by other users (mode {stat.S_IMODE(mode):o});"
                " production needs it private: chmod 600 (or 640 for a group)",
            )
    # Development without a key file: a new key per start (tokens die with the process).
    current = (
        _read_key(KEY_FILE, path, algorithm, True) if path else generate_pem(algorithm).encode()
    )
    return current, tuple(_read_key(PREVIOUS_KEY_FILES, p, algorithm, False) for p in previous)


def users_file(path: str) -> tuple[User, ...]:
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
    users: list[User] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigError(name, f"users[{i}] is not an object")
        username = canonical_username(entry.get("username"))
        hashed = entry.get("password_hash")
        if username is None:
            raise ConfigError(name, f"users[{i}].username is not a valid username")
        if any(u.username == username for u in users):
            raise ConfigError(
                name, f"users[{i}].username is an earlier user's (in any case or width)"
            )
        if not isinstance(hashed, str) or not hashed.startswith(("$argon2id$", "scrypt$")):
            raise ConfigError(name, f"users[{i}].password_hash is not from 'ballast hash-password'")
        try:
            roles = parse_roles(entry.get("roles", []))
        except ValidationError:
            raise ConfigError(name, f"users[{i}].roles must be a list of admin, service") from None
        users.append(User(username, hashed, roles, source=UserSource.FILE))
    return tuple(users)


def oauth_scopes(raw: str) -> tuple[str, ...]:
    """BALLAST_OAUTH_SCOPES: scope tokens (RFC 6749 §3.3) other than Ballast's own."""
    names = tuple(w for w in re.split(r"[,\s]+", raw) if w)
    for name in names:
        if not SCOPE_PATTERN.fullmatch(name):
            raise Invalid(
                f"{name[:64]!r} is not a scope name"
                " (1-64 of A-Z a-z 0-9 . _ : / -, a letter or digit first)"
            )
        if name in BALLAST_SCOPES:
            raise Invalid(f"{name!r} is one of Ballast's own scopes")
    return tuple(dict.fromkeys(names))


def public_url(raw: str) -> str:
    """BALLAST_PUBLIC_URL: the base URL clients use, without a trailing slash."""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("must be an http or https URL, such as https://auth.example.com")
    if parts.query or parts.fragment:
        raise Invalid("must be a base URL, without query or fragment")
    return raw.rstrip("/")


ISSUER = "BALLAST_JWT_ISSUER"


def clients_refusal(issuer: str, production: bool) -> str | None:
    """Why this server may have no OAuth client (None: it may). Production needs an https
    URL issuer: the `issuer` of the RFC 8414 metadata, which clients and the services that
    verify their tokens check against every token's `iss`."""
    parts = urlsplit(issuer)
    if not production or (parts.scheme == "https" and parts.hostname):
        return None
    return (
        f"production serves OAuth clients only with an https URL {ISSUER}"
        " (such as https://auth.example.com), the issuer clients check"
    )


CLIENTS_FILE = "BALLAST_CLIENTS_FILE"
CLIENTS_SHAPE = (
    '{"clients": [{"client_id", "name", "client_secret_hash", "scopes", "audience"?, "disabled"?}]}'
)


def clients_file(path: str, known_scopes: tuple[str, ...]) -> tuple[Client, ...]:
    """BALLAST_CLIENTS_FILE: the clients configuration defines, secrets as hashes made by
    `ballast hash-client-secret`, scopes among the known ones."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise ConfigError(CLIENTS_FILE, f"cannot read {path!r}: {e.strerror}") from None
    except ValueError:
        raise ConfigError(CLIENTS_FILE, f"{path!r} is not valid JSON") from None
    entries = data.get("clients") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(CLIENTS_FILE, f"must hold {CLIENTS_SHAPE}")
    clients = [_configured_client(i, entry, known_scopes) for i, entry in enumerate(entries)]
    ids = [c.client_id for c in clients]
    if len(set(ids)) != len(ids):
        raise ConfigError(CLIENTS_FILE, "a client_id is listed twice")
    return tuple(clients)


def _configured_client(i: int, entry: object, known_scopes: tuple[str, ...]) -> Client:
    def bad(field: str, rule: str) -> ConfigError:
        return ConfigError(CLIENTS_FILE, f"clients[{i}].{field} {rule}")

    if not isinstance(entry, dict):
        raise ConfigError(CLIENTS_FILE, f"clients[{i}] is not an object")
    client_id, name = entry.get("client_id"), entry.get("name")
    hashed, audience = entry.get("client_secret_hash"), entry.get("audience")
    if not isinstance(client_id, str) or client_id_problem(client_id):
        raise bad("client_id", "must be 1-64 characters of A-Z a-z 0-9 _ -")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise bad("name", "must be 1-128 characters, none a control")
    if not isinstance(hashed, str) or not is_client_secret_hash(hashed):
        raise bad("client_secret_hash", "is not from 'ballast hash-client-secret'")
    if audience is not None and (
        not isinstance(audience, str) or not AUDIENCE_PATTERN.fullmatch(audience)
    ):
        raise bad("audience", "must be 1-256 characters, none a control")
    disabled = entry.get("disabled", False)
    if not isinstance(disabled, bool):
        raise bad("disabled", "must be true or false")
    try:
        scopes = parse_scopes(entry.get("scopes", []), known_scopes)
    except ValidationError as e:
        raise bad("scopes", e.errors[0].message) from None
    return Client(client_id, name, hashed, scopes, audience, disabled, source=UserSource.FILE)
