"""Routing that finds a parameterless path in one lookup.

Starlette tries each route's pattern in order until one matches: about one microsecond a
route, fifteen for /api/currency/convert. Most of Ballast's paths hold no parameter, so a
dict from path to its routes finds them at once. The order still decides: a path is indexed
only when no earlier route's pattern could take it, and anything else (a method no route of
the path serves, a parameter, a root path) goes through Starlette's own loop, unchanged.
"""

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send


def index(routes: Sequence[BaseRoute]) -> dict[str, list[Route]]:
    """Each parameterless path's routes, in order, when no earlier route competes for it."""
    exact: dict[str, list[Route]] = {}
    for position, route in enumerate(routes):
        if not isinstance(route, Route) or route.param_convertors or route.methods is None:
            continue
        earlier = routes[:position]
        if any(
            not isinstance(other, Route)
            or (other.path != route.path and other.path_regex.match(route.path))
            for other in earlier
        ):
            continue
        exact.setdefault(route.path, []).append(route)
    return exact


class IndexedRouter(Router):
    def __init__(self, routes: Sequence[BaseRoute], **kwargs: Any) -> None:
        super().__init__(routes, **kwargs)
        self.exact = index(self.routes)

    def indexed(self, path: str, method: str) -> Route | None:
        """The route Starlette's loop would pick, when the index knows it (else None)."""
        for route in self.exact.get(path, ()):
            if method in route.methods:  # type: ignore[operator]
                return route
        return None

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            route = self.indexed(scope["path"], scope["method"])
            if route is not None:
                scope.setdefault("router", self)
                scope["route"] = route
                scope["endpoint"] = route.endpoint
                scope["path_params"] = dict(scope.get("path_params", {}))
                await route.handle(scope, receive, send)
                return
        await super().app(scope, receive, send)
