"""Every problem `type` a Ballast answer can carry has its page (RFC 9457 §3.1.1)."""

import re
from pathlib import Path

from entrypoints.http.problem_types import PAGES, TYPES, markdown
from entrypoints.http.problems import HTTP_SLUGS, STATUS

ROOT = Path(__file__).resolve().parents[2]
# A slug written directly where a problem is made: problem(status, "slug", ...).
LITERAL_SLUG = re.compile(r'\bproblem\(\s*\w+,\s*"([a-z-]+)"')


def slugs_in_the_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "entrypoints").rglob("*.py"):
        found |= set(LITERAL_SLUG.findall(path.read_text()))
    return found


def test_every_slug_a_problem_can_carry_has_a_page() -> None:
    used = {slug for _, _, slug in STATUS} | set(HTTP_SLUGS.values()) | {"http"}
    used |= slugs_in_the_code()

    assert "internal" in used  # the scan found the literal ones
    assert used <= set(TYPES), used - set(TYPES)


def test_each_page_is_a_whole_document_with_its_title_and_no_unescaped_markup() -> None:
    for slug, page in PAGES.items():
        assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
        assert f"/problems/{slug}" in page
        assert TYPES[slug].title.replace("—", "") in page or "&" in TYPES[slug].title


def test_docs_problems_md_is_the_table_written_out() -> None:
    assert (ROOT / "docs" / "PROBLEMS.md").read_text() == markdown(), (
        "regenerate it: python -c 'from entrypoints.http.problem_types import markdown; "
        'print(markdown(), end="")\' > docs/PROBLEMS.md'
    )
