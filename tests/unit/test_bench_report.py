"""Each benchmark script rewrites only its own section of docs/BENCHMARKS.md."""

from pathlib import Path

from bench.report import write_section


def test_a_section_is_replaced_between_its_markers_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(
        "# Benchmarks\n\nread by hand\n\n<!-- a: start -->\nold a\n<!-- a: end -->\n\n"
        "between\n\n<!-- b: start -->\nold b\n<!-- b: end -->\n\nafter\n"
    )

    write_section(path, "a", ["new a"], "## A")

    text = path.read_text()
    assert "old a" not in text and "new a" in text
    assert "old b" in text
    assert text.startswith("# Benchmarks\n\nread by hand\n\n<!-- a: start -->")
    assert text.endswith("\n\nbetween\n\n<!-- b: start -->\nold b\n<!-- b: end -->\n\nafter\n")


def test_a_section_not_there_yet_is_appended_under_its_heading(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nkept\n")

    write_section(path, "c", ["figures"], "## C")
    write_section(path, "c", ["figures again"], "## C")

    text = path.read_text()
    assert text.count("## C") == 1
    assert "kept" in text and "figures again" in text and "figures\n" not in text
