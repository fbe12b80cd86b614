"""The `ballast` command: serve, health, hash-password, webhook-secret, keygen."""

import argparse
import asyncio
import atexit
import json
import logging
import logging.config
import os
import secrets
import socket
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from entrypoints.settings import (
    ConfigError,
    LogFormat,
    Settings,
    log_format_of,
    print_admin_password,
)

# Seconds requests in flight get at SIGTERM before their connections are closed.
GRACEFUL_SHUTDOWN = 10

FORMATTERS = {
    LogFormat.LOGFMT: "entrypoints.log_format.LogfmtFormatter",
    LogFormat.JSON: "entrypoints.log_format.JsonFormatter",
}


def logging_config(log_format: LogFormat = LogFormat.LOGFMT) -> dict[str, object]:
    """For `logging.config.dictConfig`; uvicorn applies it in every worker process too, so its
    own lines (uvicorn.error) go through the same formatter as Ballast's."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": FORMATTERS[log_format]}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {
            "handlers": ["stderr"],
            "level": os.environ.get("BALLAST_LOG_LEVEL", "INFO").upper(),
        },
    }


def configure_logging() -> None:
    try:
        log_format = log_format_of(os.environ)
    except ConfigError:
        log_format = LogFormat.LOGFMT  # `serve` and `health` then refuse it, naming it
    logging.config.dictConfig(logging_config(log_format))


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as e:
        print(f"ballast: configuration error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def _version() -> str:
    try:
        return version("ballast")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def address_in_use(host: str, port: int) -> str | None:
    """Why (host, port) cannot be listened on, or None: checked before uvicorn starts, so a
    busy port is one line and a non-zero exit instead of a failure after start-up."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as e:
        return f"cannot resolve {host!r}: {e.strerror or e}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: SO_REUSEADDR, so a port in TIME_WAIT is not reported busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            return e.strerror or str(e)
    return None


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from entrypoints.metrics_dir import multiprocess_metrics

    settings = _settings()
    host = settings.host if args.host is None else args.host
    port = settings.port if args.port is None else args.port
    if args.workers < 1:
        print("ballast: --workers must be 1 or more", file=sys.stderr)
        return 2
    if args.workers > 1 and not settings.uses_redis:
        print(
            f"ballast: --workers {args.workers} needs REDIS_URL: without Redis every worker keeps"
            " its own revocations and refresh tokens, so a token revoked on one worker would"
            " still be accepted by another. Set REDIS_URL or serve one worker.",
            file=sys.stderr,
        )
        return 2
    busy = address_in_use(host, port)
    if busy is not None:
        print(
            f"ballast: cannot listen on {host}:{port}: {busy}; choose another port with"
            " --port or BALLAST_PORT",
            file=sys.stderr,
        )
        return 1
    # Workers are separate processes: they must share one secret and one admin password,
    # so generate them here, once, and hand them down through the environment.
    if settings.env != "production":
        os.environ.setdefault("BALLAST_JWT_SECRET", secrets.token_urlsafe(48))
        if settings.jwt_private_key_generated and settings.jwt_private_key:
            os.environ["BALLAST_JWT_PRIVATE_KEY_FILE"] = _private_temp_file(
                settings.jwt_private_key
            )
        if settings.admin_password_generated and settings.admin_password:
            os.environ["BALLAST_ADMIN_PASSWORD"] = settings.admin_password
            print_admin_password(settings.admin_password)
    with multiprocess_metrics(args.workers):
        uvicorn.run(
            "entrypoints.http.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=args.workers,
            log_config=logging_config(settings.log_format),
            access_log=False,
            server_header=False,
            # BALLAST_TRUSTED_PROXIES alone decides whom to believe about the client's
            # address: uvicorn's own X-Forwarded-For handling (on by default, trusting
            # 127.0.0.1) would let any local client choose its address before Ballast looks.
            proxy_headers=False,
            lifespan="on",  # a failing start-up stops the process instead of half-starting it
            # At SIGTERM, requests in flight get this long, then their connections close: with
            # the stop hooks' own bound (entrypoints/lifecycle.py), a stop always ends.
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        )
    return 0


def _private_temp_file(pem: bytes) -> str:
    """A development key handed to the workers: readable by this user only, removed at exit."""
    fd, path = tempfile.mkstemp(prefix="ballast-dev-key-", suffix=".pem")
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    atexit.register(Path(path).unlink, missing_ok=True)
    return path


def keygen(args: argparse.Namespace) -> int:
    from adapters.jwt_keys import Algorithm, generate_pem

    print(generate_pem(Algorithm(args.algorithm)), end="")
    return 0


def health(args: argparse.Namespace) -> int:
    """The checks of GET /health, once, and nothing else: no start hooks run, so nothing is
    written anywhere (no users seeded, nothing journaled), whatever state Redis is in."""
    from adapters.failover.link import RedisLink
    from application.health import CheckHealth
    from domain.health import HealthStatus
    from entrypoints.bootstrap import bootstrap
    from entrypoints.http.health_routes import report_json

    settings = _settings()

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
    from adapters.passwords import ScryptPasswordHasher

    password = sys.stdin.readline().rstrip("\r\n")
    if not 8 <= len(password) <= 256:
        print("ballast: the password must be 8-256 characters", file=sys.stderr)
        return 2
    print(ScryptPasswordHasher().hash_sync(password))
    return 0


def webhook_secret(args: argparse.Namespace) -> int:
    """A new BALLAST_WEBHOOK_SECRET: 32 random bytes in the Standard Webhooks form."""
    import base64

    print("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ballast", description=__doc__)
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "serve",
        help="run the HTTP service",
        description="Run the HTTP service. Every other setting is read from the environment"
        " (see the README's Configuration).",
    )
    s.add_argument(
        "--host",
        metavar="ADDRESS",
        help="address to listen on (default: $BALLAST_HOST, else 127.0.0.1)",
    )
    s.add_argument(
        "--port",
        type=int,
        metavar="N",
        help="TCP port to listen on (default: $BALLAST_PORT, else 8000)",
    )
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes; more than 1 needs REDIS_URL (default: %(default)s)",
    )
    s.set_defaults(run=serve)
    h = sub.add_parser("health", help="check the configured dependencies once, print the JSON")
    h.set_defaults(run=health)
    hp = sub.add_parser("hash-password", help="read a password on stdin, print its hash")
    hp.set_defaults(run=hash_password)
    ws = sub.add_parser("webhook-secret", help="print a new BALLAST_WEBHOOK_SECRET")
    ws.set_defaults(run=webhook_secret)
    k = sub.add_parser("keygen", help="print a new private signing key (PEM) on stdout")
    k.add_argument("--algorithm", choices=["EdDSA", "ES256"], required=True)
    k.set_defaults(run=keygen)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
