"""The allow-list import contract: anything not named (nor the standard library) breaks it."""

import grimp

from tests.import_contracts import AllowListContract


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
