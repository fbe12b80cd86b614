"""Every 405 lists, in Allow, every method its path supports (RFC 9110), on every path of
the OpenAPI document: also where one path is served by several routes."""

import re

from tests.support.apps import assert_problem, running_app

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def test_every_405_lists_every_method_of_its_path() -> None:
    with running_app() as client:
        spec = client.get("/openapi.json").json()
        checked = 0
        for template, operations in spec["paths"].items():
            supported = {m.upper() for m in operations}
            if "GET" in supported:
                supported.add("HEAD")
            path = re.sub(r"\{[^}]+\}", "x", template)
            for method in sorted(METHODS - supported):
                response = client.request(method, path)
                if method == "HEAD":
                    assert response.status_code == 405, (method, path)
                else:
                    assert_problem(response, 405)
                allow = {m.strip() for m in response.headers["allow"].split(",")}
                assert allow == supported, (method, path, allow)
                checked += 1
        assert checked > 40


def test_options_on_notifications_names_get_and_post() -> None:
    with running_app() as client:
        response = client.options("/api/notifications")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD, POST"
