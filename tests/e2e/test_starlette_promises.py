"""The app keeps what Starlette promises its users: exception handlers (by class, by status
code, for 500), middleware, `url_path_for` by operationId, `debug` and `max_body_size`;
and with none of them, Ballast's own answers are unchanged."""

import re
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import FieldError, ValidationError
from entrypoints.http.app import App
from tests.support.apps import app_with, assert_problem


class TeapotError(Exception):
    pass


async def teapot(request: Request) -> Response:
    raise TeapotError


async def crash(request: Request) -> Response:
    raise RuntimeError("internal detail")


async def invalid(request: Request) -> Response:
    raise ValidationError([FieldError("name", "is required")])


async def echo(request: Request) -> Response:
    return PlainTextResponse(await request.body())


async def on_teapot(request: Request, exc: Exception) -> Response:
    return JSONResponse({"handled": type(exc).__name__}, status_code=418)


async def on_not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"nothing at {request.url.path}", status_code=404)


async def on_anything(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("the user's 500", status_code=500)


class Stamp:
    """A user's middleware: stamps every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"x-stamp", b"1")]
            await send(message)

        await self.app(scope, receive, stamped)


def ballast_app() -> Starlette:
    return app_with({"/teapot": teapot, "/crash": crash, "/invalid": invalid})


def test_every_route_is_named_by_its_operation_id() -> None:
    app = ballast_app()
    with TestClient(app) as client:
        spec: dict[str, Any] = client.get("/openapi.json").json()
    operations = [
        (operation["operationId"], path)
        for path, methods in spec["paths"].items()
        for operation in methods.values()
    ]
    assert len(operations) > 20
    assert app.url_path_for("whoAmI") == "/api/auth/me"
    for operation_id, path in operations:
        params = dict.fromkeys(re.findall(r"\{([^}]+)\}", path), "x")
        expected = re.sub(r"\{[^}]+\}", "x", path)
        assert app.url_path_for(operation_id, **params) == expected, operation_id


def test_the_users_exception_handlers_and_middleware_are_honoured() -> None:
    app = ballast_app()
    app.add_exception_handler(TeapotError, on_teapot)
    app.add_exception_handler(404, on_not_found)
    app.add_exception_handler(Exception, on_anything)
    app.add_middleware(Stamp)
    with TestClient(app, raise_server_exceptions=False) as client:
        handled = client.get("/teapot")
        assert (handled.status_code, handled.json()) == (418, {"handled": "TeapotError"})
        assert handled.headers["x-stamp"] == "1"
        assert handled.headers["x-request-id"]  # the edge still sees it
        missing = client.get("/nowhere")
        assert (missing.status_code, missing.text) == (404, "nothing at /nowhere")
        crashed = client.get("/crash")
        assert (crashed.status_code, crashed.text) == (500, "the user's 500")
        # What the user has no handler for is answered as without any handler.
        assert_problem(client.get("/invalid"), 422)
        assert_problem(client.delete("/api/auth/me"), 405)


def test_without_handlers_ballast_answers_every_error_itself() -> None:
    app = ballast_app()
    with TestClient(app, raise_server_exceptions=False) as client:
        assert_problem(client.get("/nowhere"), 404)
        assert_problem(client.get("/invalid"), 422)
        body = assert_problem(client.get("/crash"), 500)
        assert "internal detail" not in body["detail"]
        assert_problem(client.get("/teapot"), 500)


@pytest.mark.parametrize("debug", [False, True])
def test_debug_is_honoured(debug: bool) -> None:
    app = App([Route("/crash", crash)], debug=debug)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/crash", headers={"accept": "text/plain"})
    assert response.status_code == 500
    assert ("RuntimeError" in response.text) is debug


def test_max_body_size_is_honoured() -> None:
    app = App([Route("/echo", echo, methods=["POST"])], max_body_size=8)
    with TestClient(app) as client:
        assert client.post("/echo", content=b"12345678").text == "12345678"
        assert client.post("/echo", content=b"123456789").status_code == 413
