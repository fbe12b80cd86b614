"""Plain JSON-shaped values (dict, list, str, numbers) from outside: how deep they nest and
whether every string in them can be written as UTF-8.

Walked iteratively, so no value, however deep, can raise RecursionError here.
"""

import re
from typing import Any

# A lone UTF-16 surrogate: JSON's "\ud800" decodes to one, and no UTF-8 encoder takes it.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Deep enough for any record Ballast stores, far below the interpreter's recursion limit,
# so a record within it can always be rendered as JSON.
RENDERABLE_DEPTH = 64
PATH_MAX = 120


def text_ok(text: str) -> bool:
    """True if `text` can be encoded as UTF-8 (holds no lone surrogate)."""
    return text.isascii() or _SURROGATE.search(text) is None


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    if isinstance(value, list | tuple):
        return list(value)
    return []


def depth(value: Any) -> int:
    """Nesting depth: 0 for a scalar, 1 for a flat object or array, and so on."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list | tuple):
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in _children(item))
    return deepest


def first_bad_text(value: Any) -> str | None:
    """Where the first string (key or value) that cannot be encoded as UTF-8 sits, as a
    path like `metadata.tags[2]`; None when every string can be."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if not text_ok(item):
                return path[:PATH_MAX] or "the body"
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and not text_ok(key):
                    return f"a key of {path[:PATH_MAX] or 'the body'}"
                stack.append((child, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))
    return None


def renderable(*values: Any) -> bool:
    """True if the values can be written as JSON in UTF-8: every string encodable, nesting
    within RENDERABLE_DEPTH. Readers use it to skip a stored record that cannot be shown
    instead of failing a whole page on it."""
    return all(depth(v) <= RENDERABLE_DEPTH and first_bad_text(v) is None for v in values)
