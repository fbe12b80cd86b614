"""The project's own import contracts: the allow-list (anything not named, nor the standard
library, breaks it) and no test module imported by another module."""

import grimp

from tests.import_contracts import AllowListContract, NoTestImportsContract


def contract() -> AllowListContract:
    options = {
        "source_modules": ["domain", "application"],
        "allowed_modules": ["attrs"],
        "refused_modules": ["socket"],
    }
    return AllowListContract("allow", {}, options)


def graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    g = grimp.ImportGraph()
    for module in ("domain", "domain.money", "application", "application.send"):
        g.add_module(module)
    for importer, imported in imports:
        g.add_import(importer=importer, imported=imported)
    return g


def test_the_standard_library_attrs_and_each_other_are_allowed() -> None:
    allowed = graph(
        ("domain.money", "decimal"),
        ("domain.money", "attrs"),
        ("application.send", "domain.money"),
        ("application.send", "asyncio"),
    )
    assert contract().check(allowed, verbose=False).kept


def test_anything_else_is_refused_even_a_package_nobody_thought_of() -> None:
    for newcomer in ("uvloop", "swagger_ui", "redis.asyncio", "socket"):
        broken = contract().check(graph(("application.send", newcomer)), verbose=False)
        assert not broken.kept
        assert broken.metadata["refused"] == [("application.send", newcomer)]


def test_a_test_module_or_a_conftest_imported_by_another_module_breaks_the_contract() -> None:
    g = grimp.ImportGraph()
    for module in ("tests", "tests.e2e.test_cli", "tests.chaos.conftest", "tests.support.servers"):
        g.add_module(module)
    g.add_import(importer="tests.chaos.test_a", imported="tests.e2e.test_cli")
    g.add_import(importer="tests.chaos.test_a", imported="tests.chaos.conftest")
    g.add_import(importer="tests.chaos.test_a", imported="tests.support.servers")
    contract = NoTestImportsContract("tests", {}, {"source_modules": ["tests"]})

    check = contract.check(g, verbose=False)

    assert not check.kept
    assert check.metadata["refused"] == [
        ("tests.chaos.test_a", "tests.chaos.conftest"),
        ("tests.chaos.test_a", "tests.e2e.test_cli"),
    ]
