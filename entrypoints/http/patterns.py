"""Patterns of the shapes' string fields: the whole string must match, up to its very end."""

# How a pattern ends: Python's `$`, which msgspec's `re` search reads, also matches before a
# final newline (`USD\n` would pass for `^[A-Z]{3}$`); `\Z` is the end of the string. JSON
# Schema's `$` (ECMA 262, no multiline flag) is that same end, and /openapi.json writes it so.
END = "\\Z"


def whole(pattern: str) -> str:
    """A `Meta(pattern=...)` that the whole string must match, up to its very end."""
    return f"^(?:{pattern}){END}"


def document_pattern(pattern: str) -> str:
    """A shape's pattern as JSON Schema writes it (the same strings match)."""
    return pattern.removesuffix(END) + "$" if pattern.endswith(END) else pattern
