"""The indexed router picks the route Starlette's ordered loop would, for every path of the
app and every method, and for paths that earlier patterns compete for."""

from starlette.responses import Response
from starlette.routing import Match, Route

from entrypoints.api.app import create_app
from entrypoints.bootstrap import bootstrap
from entrypoints.http.routing import IndexedRouter
from tests.support.apps import settings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


async def endpoint(request: object) -> Response:
    return Response()


def first_full_match(router: IndexedRouter, path: str, method: str) -> Route | None:
    scope = {"type": "http", "path": path, "method": method, "root_path": ""}
    for route in router.routes:
        if route.matches(scope)[0] is Match.FULL:
            assert isinstance(route, Route)
            return route
    return None


def test_every_path_and_method_of_the_app_routes_as_starlette_routes_it() -> None:
    router = create_app(bootstrap(settings())).router
    assert isinstance(router, IndexedRouter)
    paths = {getattr(r, "path", "").replace("{", "").replace("}", "") for r in router.routes}
    checked = 0
    for path in sorted(paths | {"/nowhere", "/api/auth/me/", "/api/users/alice"}):
        for method in METHODS:
            indexed = router.indexed(path, method)
            if indexed is not None:
                assert indexed is first_full_match(router, path, method), (path, method)
                checked += 1
    assert checked >= 20  # most of the app's paths are found through the index


def test_a_path_an_earlier_pattern_takes_is_left_to_starlette() -> None:
    items = Route("/items/{name}", endpoint)
    router = IndexedRouter([items, Route("/items/new", endpoint)])

    assert router.indexed("/items/new", "GET") is None
    assert first_full_match(router, "/items/new", "GET") is items


def test_routes_of_one_path_are_found_by_method_in_order() -> None:
    post = Route("/n", endpoint, methods=["POST"])
    get = Route("/n", endpoint, methods=["GET"])
    router = IndexedRouter([post, get])

    assert router.indexed("/n", "POST") is post
    assert router.indexed("/n", "GET") is get
    assert router.indexed("/n", "DELETE") is None  # Starlette's loop answers the 405
