"""docs/BENCHMARKS.md is written by several scripts, each owning one section between its
own markers; the text around the sections (readings, profiles) is written by hand."""

import datetime
import os
import platform
from pathlib import Path


def machine_line() -> str:
    """When and on what a run was made: the first line of every generated section."""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.machine()
    return (
        f"Run on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()}"
        f" cores ({model}), Linux {platform.release()}, Python {platform.python_version()}."
    )


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
