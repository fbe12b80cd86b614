"""docs/API.md's index of operations is the one `ballast api-table` makes from the
/openapi.json a fresh server serves: a route added, removed or renamed without the page
following fails here."""

import subprocess
from pathlib import Path

import pytest

from entrypoints import api_doc
from tests.support.servers import BALLAST, clean_env, serving

API_PAGE = Path(__file__).resolve().parents[2] / "docs" / "API.md"


def test_the_index_has_one_row_per_operation_and_escapes_its_cells() -> None:
    spec = {
        "paths": {
            "/a": {
                "get": {"operationId": "getA", "summary": "Reads a | b"},
                "post": {"operationId": "postA", "summary": "Two\nlines", "security": [{}]},
            }
        }
    }
    assert api_doc.render(spec).splitlines()[2:] == [
        "| `getA` | `GET /a` |  | Reads a \\| b |",
        "| `postA` | `POST /a` | Bearer | Two lines |",
    ]


@pytest.mark.slow
def test_the_api_page_lists_every_operation_a_fresh_server_serves(tmp_path: Path) -> None:
    with serving(tmp_path) as base:
        done = subprocess.run(
            [BALLAST, "api-table", "--url", base],
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_env(),
            check=False,
        )
    assert done.returncode == 0, done.stderr
    printed = done.stdout.strip()
    assert printed.count("\n| `") >= 30
    assert api_doc.current(API_PAGE.read_text()) == printed, (
        "docs/API.md is stale: run `make run`, then"
        " `.venv/bin/ballast api-table --write docs/API.md`"
    )


def test_api_table_says_so_when_no_ballast_answers() -> None:
    done = subprocess.run(
        [BALLAST, "api-table", "--url", "http://127.0.0.1:9", "--timeout", "2"],
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_env(),
        check=False,
    )
    assert done.returncode == 1
    assert "no OpenAPI document" in done.stderr
