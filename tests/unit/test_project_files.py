"""The files a newcomer reads before the code agree with the package metadata."""

import re
import tomllib
from importlib.metadata import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_licence_file_is_the_one_the_metadata_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    assert metadata("ballast")["License-Expression"] == "MIT"


def test_the_changelog_has_an_entry_for_the_current_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    changelog = (ROOT / "CHANGELOG.md").read_text()

    assert f"## [{project['version']}]" in changelog


def _pins(lock: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / lock).read_text().splitlines():
        m = re.match(r"([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if m:
            pins[_normal(m[1])] = m[2]
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: list[str]) -> set[str]:
    return {_normal(re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0]) for r in requirements}


def test_make_run_installs_only_what_serving_needs_and_make_test_the_same_pins_plus_tools() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    needed = _names(pyproject["project"]["dependencies"])
    tools = _names(pyproject["project"]["optional-dependencies"]["dev"])
    build = _names(pyproject["build-system"]["requires"])

    assert needed | build <= runtime.keys()
    assert tools - needed - build, "the dev extra holds only runtime packages"
    assert not (tools - needed - build) & runtime.keys()
    assert tools <= dev.keys()
    assert {name: dev.get(name) for name in runtime} == runtime
