"""The `ballast` command: serve, health, hash-password, webhook-secret, keygen, config-table,
api-table."""

import argparse
import atexit
import logging
import logging.config
import os
import secrets
import socket
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, TypeAlias

from entrypoints import health_probe as probe
from entrypoints.cli_tools import (
    api_table,
    config_table,
    hash_client_secret,
    hash_password,
    health,
    keygen,
    settings_or_exit,
    webhook_secret,
)
from entrypoints.config_parsers import Invalid, Parser, seconds
from entrypoints.settings import (
    ROWS,
    ConfigError,
    LogFormat,
    log_format_of,
    log_level_of,
    print_admin_password,
)
from entrypoints.version import ballast_version

# Seconds requests in flight get at SIGTERM before their connections are closed.
GRACEFUL_SHUTDOWN = 10

FORMATTERS = {
    LogFormat.LOGFMT: "entrypoints.log_format.LogfmtFormatter",
    LogFormat.JSON: "entrypoints.log_format.JsonFormatter",
}


def logging_config(
    log_format: LogFormat = LogFormat.LOGFMT, level: str = "INFO"
) -> dict[str, object]:
    """For `logging.config.dictConfig`; uvicorn applies it in every worker process too, so its
    own lines (uvicorn.error) go through the same formatter as Ballast's."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": FORMATTERS[log_format]}},
        "filters": {"client_faults": {"()": "entrypoints.server_lines.ClientFaultsAtInfo"}},
        "loggers": {"uvicorn.error": {"filters": ["client_faults"]}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {
            "handlers": ["stderr"],
            "level": level,
        },
    }


def configure_logging() -> None:
    # A bad format or level falls back here; `serve` and `health` then refuse it, naming it.
    try:
        log_format = log_format_of(os.environ)
    except ConfigError:
        log_format = LogFormat.LOGFMT
    try:
        level = log_level_of(os.environ)
    except ConfigError:
        level = "INFO"
    logging.config.dictConfig(logging_config(log_format, level))


def _checked(variable: str, parse: Parser | None = None) -> Parser:
    """An option's argparse type: the parser of the variable it stands for, so `--port` and
    BALLAST_PORT meet the same checks (a bad one is argparse's one line and exit 2)."""
    parse = parse or ROWS[variable].parse

    def check(raw: str) -> object:
        try:
            return parse(raw.strip())
        except Invalid as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    check.__name__ = variable.removeprefix("BALLAST_").lower()
    return check


def resolve(host: str, port: int) -> tuple[Any, ...] | str:
    """Where (host, port) is, or why it cannot be resolved."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as e:
        return str(e.strerror or e)
    return infos[0]


def address_in_use(host: str, port: int) -> str | None:
    """Why (host, port) cannot be listened on, or None: checked before uvicorn starts, so a
    busy port is one line and a non-zero exit instead of a failure after start-up."""
    found = resolve(host, port)
    if isinstance(found, str):
        return f"cannot resolve {host!r}: {found}"
    family, kind, proto, _, address = found
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

    settings = settings_or_exit()
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
    unresolved = resolve(host, port)
    if isinstance(unresolved, str):
        print(
            f"ballast: cannot resolve the host {host!r}: {unresolved}; set --host or BALLAST_HOST"
            " to an address or a name of this machine",
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
        if not os.environ.get("BALLAST_JWT_SECRET_FILE", "").strip():
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
            "entrypoints.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=args.workers,
            log_config=logging_config(settings.log_format, settings.log_level),
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


Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _subcommand(
    sub: Subparsers,
    name: str,
    summary: str,
    description: str,
    exits: dict[int, str],
    stdin: str = "not read",
) -> argparse.ArgumentParser:
    """A subcommand whose --help says what it does, its exit statuses and what it reads from
    standard input: what a script or a probe needs to know before calling it."""
    exit_lines = [
        textwrap.fill(meaning, 88, initial_indent=f"  {code}  ", subsequent_indent="     ")
        for code, meaning in exits.items()
    ]
    epilog = "\n".join(["exit status:", *exit_lines, "", f"standard input: {stdin}"])
    return sub.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, 88),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


CONFIG_ERROR = "a configuration error, named in one line on standard error"


def _serve_and_health(sub: Subparsers) -> None:
    s = _subcommand(
        sub,
        "serve",
        "run the HTTP service",
        "Run the HTTP service. Every other setting is read from the environment"
        " (see docs/CONFIGURATION.md).",
        {
            0: "stopped on SIGTERM or SIGINT",
            1: "the address cannot be listened on (a port already taken)",
            2: f"{CONFIG_ERROR}, a bad option or a host that cannot be resolved",
        },
    )
    s.add_argument(
        "--host",
        metavar="ADDRESS",
        type=_checked("BALLAST_HOST"),
        help="address to listen on (default: $BALLAST_HOST, else 127.0.0.1)",
    )
    s.add_argument(
        "--port",
        type=_checked("BALLAST_PORT"),
        metavar="N",
        help="TCP port to listen on, 1-65535 (default: $BALLAST_PORT, else 8000)",
    )
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes; more than 1 needs REDIS_URL (default: %(default)s)",
    )
    s.set_defaults(run=serve)
    h = _subcommand(
        sub,
        "health",
        "check the dependencies once, or ask a running instance; print the health JSON",
        "Without --url: run the checks of GET /health once against the configured"
        " dependencies (read-only: nothing is started or written). With --url: ask the"
        " running instance at URL for its /health, as a container HEALTHCHECK, a systemd"
        " unit or a Kubernetes exec probe would. The JSON goes to standard output.",
        {
            0: "healthy: status pass or warn",
            1: "unhealthy: status fail, or (with --url) no health answer from the instance",
            2: f"{CONFIG_ERROR} (without --url), or a --url that is not http(s)",
        },
    )
    h.add_argument(
        "--url",
        metavar="URL",
        help="base URL of a running instance, e.g. http://127.0.0.1:8000 (GET URL/health)",
    )
    h.add_argument(
        "--timeout",
        type=_checked("timeout", seconds(60.0)),
        default=probe.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="with --url: seconds to wait for the whole answer (default: %(default)s)",
    )
    h.set_defaults(run=health)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ballast", description=__doc__)
    p.add_argument("--version", action="version", version=f"%(prog)s {ballast_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    _serve_and_health(sub)
    hp = _subcommand(
        sub,
        "hash-password",
        "print the argon2id hash of a password",
        "Print the argon2id hash (PHC string) of a password for BALLAST_USERS_FILE. At a"
        " terminal the password is asked twice, without echo.",
        {0: "the hash was printed", 2: "the password is not 8-256 characters, or the two differ"},
        "at a terminal, not read (asked without echo); else one line: the password (its line"
        " ending dropped)",
    )
    hp.set_defaults(run=hash_password)
    hc = _subcommand(
        sub,
        "hash-client-secret",
        "read a client secret on stdin (or make one), print its hash",
        "Print the keyed hash of an OAuth client secret for BALLAST_CLIENTS_FILE. With"
        " --generate, print a new random secret (256 bits, base64url) on the first line and"
        " its hash on the second.",
        {0: "the hash was printed", 2: "the secret is shorter than 32 printable ASCII characters"},
        "one line: the secret (its line ending dropped); nothing with --generate",
    )
    hc.add_argument("--generate", action="store_true", help="make a new random secret")
    hc.set_defaults(run=hash_client_secret)
    ws = _subcommand(
        sub,
        "webhook-secret",
        "print a new BALLAST_WEBHOOK_SECRET",
        "Print a new random webhook signing secret (whsec_ and 32 random bytes in base64).",
        {0: "the secret was printed"},
    )
    ws.set_defaults(run=webhook_secret)
    k = _subcommand(
        sub,
        "keygen",
        "write a new private signing key (PEM)",
        "Write a new private signing key (PKCS#8 PEM, unencrypted) for"
        " BALLAST_JWT_PRIVATE_KEY_FILE: to standard output, or with --out to a new file"
        " only its owner can read (mode 0600).",
        {0: "the key was written", 1: "the --out file cannot be written (or already exists)"},
    )
    k.add_argument("--algorithm", choices=["EdDSA", "ES256"], required=True)
    k.add_argument("--out", metavar="FILE", help="write to this new file, mode 0600")
    k.set_defaults(run=keygen)
    c = _subcommand(
        sub,
        "config-table",
        "print the configuration table of docs/CONFIGURATION.md",
        "Print the configuration tables generated from the table of variables Ballast reads,"
        " or with --write put them into a Markdown file between its markers.",
        {0: "printed or written", 1: "the --write file has no markers"},
    )
    c.add_argument(
        "--write", metavar="FILE", help="replace the table in FILE (docs/CONFIGURATION.md)"
    )
    c.set_defaults(run=config_table)
    a = _subcommand(
        sub,
        "api-table",
        "print the index of operations of docs/API.md",
        "Print the index of every operation, generated from the /openapi.json a running"
        " Ballast serves, or with --write put it into a Markdown file between its markers.",
        {0: "printed or written", 1: "no OpenAPI document at the URL, or no markers"},
    )
    a.add_argument("--url", default="http://127.0.0.1:8000", help="the running Ballast")
    a.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for it")
    a.add_argument("--write", metavar="FILE", help="replace the index in FILE (docs/API.md)")
    a.set_defaults(run=api_table)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
