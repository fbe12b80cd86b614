"""Interactive API docs at /docs: Swagger UI rendering /openapi.json, its assets served by
Ballast from the swagger-ui-py package (no CDN, so the page works offline and behind
strict egress rules)."""

import importlib.util
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from entrypoints.http.contract import Endpoint, Operation

# The only files the page loads, and so the only ones served: the rest of the package's
# folder (its own index.html, oauth2-redirect.html, editor bundles, source maps) is 404.
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Ballast API</title>
  <link rel="icon" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

# Kept out of the page so that a strict Content-Security-Policy (no inline script) holds.
INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "list",
  presets: [SwaggerUIBundle.presets.apis],
});
"""

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"
    ),
    "Cache-Control": "no-cache",
}


def assets_dir() -> Path:
    """The package's static folder, found without importing the package."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


DOCS = Operation(
    "GET",
    "/docs",
    "getDocs",
    "This API, interactive (Swagger UI, served by Ballast itself)",
    "operations",
    response=str,
    media="text/html",
    secured=False,
    example="<!doctype html>",
)


async def page(request: Request) -> Response:
    return HTMLResponse(PAGE, headers=HEADERS)


def endpoints() -> list[Endpoint]:
    return [Endpoint(DOCS, page)]


def assets() -> list[BaseRoute]:
    """The page's own script and assets: part of the page, not of the API."""
    folder = assets_dir()

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            raise HTTPException(404)
        return FileResponse(
            folder / name,
            media_type=ASSETS[name],
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def init(request: Request) -> Response:
        return Response(INIT, media_type="text/javascript", headers=HEADERS)

    return [
        Route("/docs/init.js", init, methods=["GET"]),
        Route("/docs/assets/{name}", asset, methods=["GET"]),
    ]
