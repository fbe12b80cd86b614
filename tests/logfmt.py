"""A strict reader of Ballast's log lines, in both formats, for tests that check every line.

logfmt: `key=value` pairs separated by one space; a key is `[A-Za-z_][A-Za-z0-9_.-]*`, a value
either bare printable ASCII without space, `"`, `=` or `\\`, or a double-quoted string with
JSON escapes. Every line carries `ts` (RFC 3339, UTC), `level` and `logger`.
"""

import json
import re
from typing import Any

PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\\x00-\x1f]|\\.)*"|[!#-<>-\[\]-~]+)')
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def parse_logfmt(line: str) -> dict[str, str]:
    """The line's pairs, or ValueError saying where it stops being logfmt."""
    out: dict[str, str] = {}
    pos = 0
    while True:
        m = PAIR.match(line, pos)
        if m is None:
            raise ValueError(f"not logfmt at column {pos}: {line!r}")
        key, raw = m[1], m[2]
        if key in out:
            raise ValueError(f"key {key!r} twice: {line!r}")
        out[key] = json.loads(raw) if raw.startswith('"') else raw
        pos = m.end()
        if pos == len(line):
            break
        if line[pos] != " ":
            raise ValueError(f"not logfmt at column {pos}: {line!r}")
        pos += 1
    _check(out, line)
    return out


def parse_json(line: str) -> dict[str, Any]:
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError(f"not a JSON object: {line!r}")
    _check(record, line)
    return record


def parse(line: str, form: str) -> dict[str, Any]:
    return parse_json(line) if form == "json" else parse_logfmt(line)


def _check(record: dict[str, Any], line: str) -> None:
    if not RFC3339_UTC.fullmatch(str(record.get("ts", ""))):
        raise ValueError(f"ts is not an RFC 3339 UTC time: {line!r}")
    if record.get("level") not in LEVELS or not record.get("logger"):
        raise ValueError(f"level or logger missing: {line!r}")
