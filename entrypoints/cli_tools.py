"""The `ballast` subcommands other than `serve`: health, hash-password, webhook-secret,
keygen, config-table, api-table (their --help, with exit statuses, is in cli.py)."""

import argparse
import asyncio
import json
import os
import secrets
import sys
from pathlib import Path

from domain.users import password_problem
from entrypoints import health_probe as probe
from entrypoints.settings import ConfigError, Settings


def settings_or_exit() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as e:
        print(f"ballast: configuration error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def keygen(args: argparse.Namespace) -> int:
    from adapters.jwt_keys import Algorithm, generate_pem

    pem = generate_pem(Algorithm(args.algorithm))
    if args.out is None:
        print(pem, end="")
        return 0
    # Created with its final mode, never readable by others for an instant; an existing
    # file is left alone (it may be the key in use).
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        print(f"ballast: cannot write {args.out!r}: {e.strerror}", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)  # whatever the umask
        f.write(pem)
    return 0


def config_table(args: argparse.Namespace) -> int:
    from entrypoints import config_doc
    from entrypoints.settings import VARIABLES

    if args.write is None:
        print(config_doc.block(VARIABLES))
        return 0
    if not config_doc.write(Path(args.write), VARIABLES):
        print(f"ballast: {args.write!r} has no configuration table markers", file=sys.stderr)
        return 1
    return 0


def api_table(args: argparse.Namespace) -> int:
    import httpx

    from entrypoints import api_doc

    try:
        answer = httpx.get(f"{args.url.rstrip('/')}/openapi.json", timeout=args.timeout)
        spec = answer.raise_for_status().json()
        table = api_doc.block(spec)
    except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as e:
        print(f"ballast: no OpenAPI document at {args.url}: {type(e).__name__}", file=sys.stderr)
        return 1
    if args.write is None:
        print(table)
        return 0
    if not api_doc.write(Path(args.write), spec):
        print(f"ballast: {args.write!r} has no operations markers", file=sys.stderr)
        return 1
    return 0


def health(args: argparse.Namespace) -> int:
    """The checks of GET /health, once, and nothing else: no start hooks run, so nothing is
    written anywhere (no users seeded, nothing journaled), whatever state Redis is in."""
    from adapters.failover.link import RedisLink
    from application.health import CheckHealth
    from domain.health import HealthStatus
    from entrypoints.api.health_routes import report_json
    from entrypoints.bootstrap import bootstrap

    if args.url is not None:
        url = probe.health_url(args.url)
        if url is None:
            print(f"ballast: --url {args.url!r} is not an http(s) URL", file=sys.stderr)
            return 2
        answer = probe.ask(url, args.timeout)
        if answer.body:
            print(answer.body)
        if answer.problem:
            print(f"ballast: {answer.problem}", file=sys.stderr)
        return answer.code
    settings = settings_or_exit()

    async def run() -> int:
        container = bootstrap(settings)
        try:
            report = await container.resolve(CheckHealth)()
        finally:
            if settings.uses_redis:
                link: RedisLink = container.resolve(RedisLink)
                await link.stop()
        print(json.dumps(report_json(report), indent=2))
        return 1 if report.status is HealthStatus.FAIL else 0

    return asyncio.run(run())


def hash_password(args: argparse.Namespace) -> int:
    """At a terminal: asked twice, without echo. Otherwise: the first line of stdin."""
    from adapters.passwords import Argon2PasswordHasher

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("ballast: the two passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if (problem := password_problem(password)) is not None:
        print(f"ballast: the password {problem}", file=sys.stderr)
        return 2
    print(Argon2PasswordHasher().hash_sync(password))
    return 0


def hash_client_secret(args: argparse.Namespace) -> int:
    """A client secret's hash for BALLAST_CLIENTS_FILE; --generate makes the secret too."""
    from adapters.client_secrets import SECRET_BYTES, HmacClientSecrets

    secrets_ = HmacClientSecrets()
    if args.generate:
        secret = secrets_.new_secret()
        print(secret)
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
        if len(secret) < SECRET_BYTES or not secret.isascii() or not secret.isprintable():
            print(
                f"ballast: a client secret must be at least {SECRET_BYTES} printable ASCII"
                " characters (random: use --generate)",
                file=sys.stderr,
            )
            return 2
    print(secrets_.hash(secret))
    return 0


def webhook_secret(args: argparse.Namespace) -> int:
    """A new BALLAST_WEBHOOK_SECRET: 32 random bytes in the Standard Webhooks form."""
    import base64

    print("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())
    return 0
