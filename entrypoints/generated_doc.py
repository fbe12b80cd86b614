"""Blocks of a Markdown page that a command generates (the configuration table, the index of
operations): the text from a begin marker to an end marker, read by the tests that fail when
a page is stale and replaced by `--write`."""

from pathlib import Path


def between(text: str, begin: str, end: str) -> str | None:
    """The block, markers included (None: no markers)."""
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        return None
    return text[start : stop + len(end)]


def replace(path: Path, begin: str, end: str, block: str) -> bool:
    """Puts `block` in place of the one in `path`; False when it has no markers."""
    text = path.read_text()
    old = between(text, begin, end)
    if old is None:
        return False
    path.write_text(text.replace(old, block))
    return True
