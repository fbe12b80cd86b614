"""The page behind every problem `type`: what the problem means and what to do about it.

RFC 9457 asks that a type URI, when dereferenced, give human-readable documentation. Every
problem answer's `type` is `/problems/<slug>` (a reference relative to the answered request,
so it resolves to this Ballast however it is reached) and this module serves that page.
"""

import html
from typing import Annotated

import attrs
import msgspec
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from domain.errors import NotFoundError
from entrypoints.http.contract import Endpoint, Operation
from entrypoints.http.patterns import whole
from entrypoints.http.problems import PROBLEM_TYPE as PATH


@attrs.frozen
class ProblemType:
    status: int
    title: str
    meaning: str
    remedy: str


# slug -> its page; every slug a problem answer may carry (tests/unit/test_problem_types.py).
TYPES: dict[str, ProblemType] = {
    "malformed-body": ProblemType(
        400,
        "Malformed request body",
        "The body could not be read: it is not UTF-8 JSON (or form) text, nests too deep, "
        "holds a number out of range, or the connection ended before it was whole.",
        "Send a well-formed body of the media type the operation takes (see /docs).",
    ),
    "missing-token": ProblemType(
        401,
        "Access token missing",
        "The operation needs an access token and the request carries none.",
        "Log in (POST /api/auth/login) and send `Authorization: Bearer <access_token>`.",
    ),
    "invalid-token": ProblemType(
        401,
        "Access token refused",
        "The token is malformed, expired, revoked, signed by an unknown key, or its user is "
        "disabled or deleted.",
        "Refresh it (POST /api/auth/refresh) or log in again.",
    ),
    "invalid-credentials": ProblemType(
        401,
        "Wrong username or password",
        "The username and password do not match an enabled user (the answer is the same "
        "for an unknown user and a wrong password).",
        "Check the credentials; repeated failures are rate limited.",
    ),
    "forbidden": ProblemType(
        403,
        "Not allowed",
        "The caller is authenticated but its roles (or a client's scopes) do not allow this.",
        "Ask an administrator for the role or scope the operation names in /docs.",
    ),
    "insufficient-scope": ProblemType(
        403,
        "Scope missing",
        "A client's token calls an operation that needs a scope the token does not hold"
        " (RFC 6750 §3.1; `WWW-Authenticate` names it).",
        "Grant the client the scope (PATCH /api/clients/{client_id}) and get a new token.",
    ),
    "not-found": ProblemType(
        404,
        "Not found",
        "Nothing is at this path, or the resource named does not exist (or is not yours).",
        "Check the path and the id; lists (GET) show what exists.",
    ),
    "method-not-allowed": ProblemType(
        405,
        "Method not allowed",
        "The path exists but does not serve this method.",
        "Use one of the methods the `Allow` header names.",
    ),
    "conflict": ProblemType(
        409,
        "Conflict",
        "The change conflicts with the current state (for example, the name is taken).",
        "Read the current state and retry with a change that fits it.",
    ),
    "user-defined-by-configuration": ProblemType(
        409,
        "Defined by configuration",
        "The user (or client) is declared in a configuration file, which is authoritative.",
        "Change the file the operator deploys instead of calling the API.",
    ),
    "https-issuer-required": ProblemType(
        409,
        "OAuth clients need an https issuer",
        "In production, Ballast serves OAuth clients only when BALLAST_JWT_ISSUER is an https"
        " URL (the issuer clients check): until then it creates no client and issues no"
        " client token, whatever clients its registry holds.",
        "Operators: set BALLAST_JWT_ISSUER to the https URL clients reach Ballast at (such as"
        " https://auth.example.com) and restart; tokens issued under the old issuer are refused.",
    ),
    "invalid-transition": ProblemType(
        409,
        "Invalid state change",
        "The resource cannot move from its current state to the one asked for.",
        "Read its current state first; only the documented moves are allowed.",
    ),
    "body-too-large": ProblemType(
        413,
        "Body too large",
        "The body is over the size limit (64 KiB); the connection is closed.",
        "Send a smaller body.",
    ),
    "unsupported-media-type": ProblemType(
        415,
        "Unsupported media type",
        "The body's Content-Type is not one the operation takes.",
        "Send `Content-Type: application/json` (or the form type where /docs allows it).",
    ),
    "validation": ProblemType(
        422,
        "Invalid input",
        "A field of the body, query or path is missing or not valid; `errors` names each "
        "field and what is wrong with it.",
        "Fix the fields named in `errors` and send the request again.",
    ),
    "rate-limited": ProblemType(
        429,
        "Too many requests",
        "The caller is over its rate limit (per user, client or address; logins also per "
        "username).",
        "Wait the number of seconds in `Retry-After`; `RateLimit-*` headers show the budget.",
    ),
    "dependency-unavailable": ProblemType(
        503,
        "Dependency unavailable",
        "Redis is unreachable and this capability is configured to refuse rather than "
        "serve from memory (fail_closed).",
        "Retry after `Retry-After` seconds; operators: see /health and docs/RUNBOOK.md.",
    ),
    "rates-unavailable": ProblemType(
        503,
        "Exchange rates unavailable",
        "No exchange rate table can be served right now.",
        "Try again later.",
    ),
    "http": ProblemType(
        400,
        "HTTP error",
        "The request could not be served as sent; `status` and `detail` say why.",
        "Fix what `detail` names.",
    ),
    "internal": ProblemType(
        500,
        "Internal error",
        "Something failed inside Ballast. Nothing about it is shown here; it is logged "
        "with the request's id.",
        "Retry; if it persists, report the `X-Request-ID` of the answer to the operator.",
    ),
}

Slug = Annotated[str, msgspec.Meta(pattern=whole("[a-z][a-z-]{0,63}"))]


@attrs.frozen
class ProblemTypePath:
    slug: Slug


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{title} — Ballast</title></head>
<body>
<h1>{title}</h1>
<p>HTTP status {status}. Problem type <code>{path}</code>.</p>
<h2>What it means</h2>
<p>{meaning}</p>
<h2>What to do</h2>
<p>{remedy}</p>
<p><a href="/docs">The API, interactive</a></p>
</body>
</html>
"""

PROBLEM_TYPE = Operation(
    "GET",
    PATH + "{slug}",
    "getProblemType",
    "What a problem answer's `type` means and what to do (the page its URI points at)",
    "operations",
    response=str,
    media="text/html",
    secured=False,
    path_params=ProblemTypePath,
    errors=(404,),
    example="<!doctype html>",
)


def render(slug: str, kind: ProblemType) -> str:
    return PAGE.format(
        title=html.escape(kind.title),
        status=kind.status,
        path=html.escape(PATH + slug),
        meaning=html.escape(kind.meaning),
        remedy=html.escape(kind.remedy),
    )


PAGES = {slug: render(slug, kind) for slug, kind in TYPES.items()}


async def page(request: Request, path: ProblemTypePath) -> Response:
    found = PAGES.get(path.slug)
    if found is None:
        raise NotFoundError("problem type", path.slug)
    return HTMLResponse(found, headers={"Cache-Control": "public, max-age=86400"})


def endpoints() -> list[Endpoint]:
    return [Endpoint(PROBLEM_TYPE, page)]


def markdown() -> str:
    """docs/PROBLEMS.md, from the table (a test keeps the file in step)."""
    rows = "\n".join(
        f"| `{PATH}{slug}` | {t.status} | {t.title} | {t.meaning} | {t.remedy} |"
        for slug, t in TYPES.items()
    )
    return (
        "# Problem types\n\n"
        "Every error answer is an RFC 9457 problem (`application/problem+json`) whose `type` is\n"
        f"`{PATH}<name>`, a page Ballast serves (`GET {PATH}<name>`, HTML). This list is\n"
        "generated from `entrypoints/http/problem_types.py` and checked by a test.\n\n"
        "| type | status | title | what it means | what to do |\n"
        "|---|---:|---|---|---|\n"
        f"{rows}\n"
    )
