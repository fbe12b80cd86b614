"""docs/BENCHMARKS.md is written by several scripts, each owning one section between its
own markers; the text around the sections (readings, profiles) is written by hand."""

from pathlib import Path


def write_section(path: Path, marker: str, lines: list[str], heading: str) -> None:
    """Replaces what lies between `<!-- {marker}: start -->` and `<!-- {marker}: end -->`;
    a file without them gets the section appended under `heading`."""
    start, end = f"<!-- {marker}: start -->", f"<!-- {marker}: end -->"
    section = "\n".join([start, "", *lines, "", end])
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n{heading}\n\n{section}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"written {path} ({marker})")
