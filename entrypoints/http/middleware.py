"""The middleware every request passes, in order: CORS (when origins are configured), the
edge, the rate limits."""

import punq
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from application.auth.tokens import VerifyToken
from application.rate_limits import CheckRateLimits
from domain.ports import PasswordHasher
from entrypoints.access_log import AccessLog
from entrypoints.http.client_address import parse_networks
from entrypoints.http.edge import EdgeMiddleware
from entrypoints.http.rate_limiting import RateLimitMiddleware, address_quota
from entrypoints.redis_budget import RedisBudgets
from entrypoints.settings import Settings

# What a browser on an allowed origin may send and read (BALLAST_CORS_ORIGINS). The methods
# are every method an operation serves (a test holds them to the OpenAPI document).
CORS_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
CORS_REQUEST_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key")
CORS_EXPOSED_HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "WWW-Authenticate",
    "X-Request-ID",
)


def cors(origins: tuple[str, ...]) -> list[Middleware]:
    """Starlette's CORS middleware for exact origins; none at all without origins (no CORS
    header on any answer)."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=list(CORS_METHODS),
            allow_headers=list(CORS_REQUEST_HEADERS),
            allow_credentials=False,
            expose_headers=list(CORS_EXPOSED_HEADERS),
            max_age=600,
        )
    ]


def middleware(container: punq.Container) -> list[Middleware]:
    """CORS outermost, so that every answer to an allowed origin carries its headers (the
    edge's problems, 413 and 429 included) and preflights are answered before any work; the
    edge next, so that refused requests (413, 429) are logged and counted; the rate limit
    inside it, after the body limit, which bounds what the login limit reads of the body."""
    settings: Settings = container.resolve(Settings)
    hasher: PasswordHasher = container.resolve(PasswordHasher)
    return [
        *cors(settings.cors_origins),
        Middleware(
            EdgeMiddleware,
            access_log=container.resolve(AccessLog),
            budget=container.resolve(RedisBudgets),
            trusted_proxies=parse_networks(settings.trusted_proxies),
        ),
        Middleware(
            RateLimitMiddleware,
            check=container.resolve(CheckRateLimits),
            verify=container.resolve(VerifyToken),
            default=settings.rate_limit,
            login=settings.login_rate_limit,
            per_address=address_quota(settings.login_rate_limit, hasher.threads),
        ),
    ]
