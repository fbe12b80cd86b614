"""The machinery of the configuration table (the table itself is `VARIABLES` in settings.py):
one `Variable` per environment variable, read, parsed and documented from that one row.

A secret variable also has a `<NAME>_FILE` twin, read from a file (the Docker and Kubernetes
secrets convention); both set is an error. An unknown `BALLAST_*` variable is a typo until
shown otherwise: it is reported with the closest known name.
"""

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from entrypoints.config_parsers import Invalid, Parser

PREFIX = "BALLAST_"
MAX_SECRET_FILE = 65_536  # bytes read of a *_FILE secret: a secret is short, a mistake is not


class ConfigError(Exception):
    """One bad environment variable: its name and what is allowed."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {problem}")


@attrs.frozen
class Variable:
    """One row of the table: how the variable is read, its default as an operator would
    write it (None: unset), and the line the configuration table shows."""

    name: str
    parse: Parser
    default: str | None
    doc: str
    field: str | None = None  # the Settings attribute it fills ("redis.x": RedisSettings.x)
    secret: bool = False  # never echoed; has a <NAME>_FILE twin
    tuning: bool = False  # listed with the rarely needed knobs
    default_doc: str | None = None  # the table's default column, when not `default`

    @property
    def file_twin(self) -> str | None:
        return f"{self.name}_FILE" if self.secret else None


def known_names(variables: Iterable[Variable]) -> frozenset[str]:
    names: set[str] = set()
    for row in variables:
        names.add(row.name)
        if row.file_twin:
            names.add(row.file_twin)
    return frozenset(names)


def raw_value(row: Variable, env: Mapping[str, str]) -> str | None:
    """The variable's text (stripped; blank counts as unset), or its file twin's content."""
    value = env.get(row.name, "").strip() or None
    twin = row.file_twin
    path = env.get(twin, "").strip() if twin else ""
    if not path or twin is None:
        return value
    if value is not None:
        raise ConfigError(row.name, f"set either {row.name} or {twin}, not both")
    try:
        with Path(path).open("rb") as f:
            content = f.read(MAX_SECRET_FILE + 1)
    except OSError as e:
        raise ConfigError(twin, f"cannot read {path!r}: {e.strerror}") from None
    if len(content) > MAX_SECRET_FILE:
        raise ConfigError(twin, f"{path!r} is over {MAX_SECRET_FILE} bytes")
    try:
        secret = content.decode().rstrip("\r\n")
    except UnicodeDecodeError:
        raise ConfigError(twin, f"{path!r} is not UTF-8 text") from None
    if not secret.strip():
        raise ConfigError(twin, f"{path!r} is empty")
    return secret


def parse(row: Variable, env: Mapping[str, str]) -> Any:
    """The row's value: parsed from the environment, else from its default (None: unset)."""
    raw = raw_value(row, env)
    if raw is None:
        if row.default is None:
            return None
        raw = row.default
    try:
        return row.parse(raw)
    except Invalid as e:
        raise ConfigError(row.name, str(e)) from None


def parse_all(variables: Iterable[Variable], env: Mapping[str, str]) -> dict[str, Any]:
    return {row.name: parse(row, env) for row in variables}


def unknown(variables: Iterable[Variable], env: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each `BALLAST_*` variable no row knows, with the closest known name ('' if none)."""
    known = known_names(variables)
    found = []
    for name in sorted(env):
        if name.startswith(PREFIX) and name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            found.append((name, close[0] if close else ""))
    return found


def fields_of(variables: Iterable[Variable], values: Mapping[str, Any], scope: str = "") -> Any:
    """The keyword arguments of one settings class: the rows whose `field` is in `scope`
    ("" for Settings itself, "redis" for RedisSettings), for the values that are set."""
    prefix = f"{scope}." if scope else ""
    out = {}
    for row in variables:
        if row.field is None or not row.field.startswith(prefix):
            continue
        name = row.field.removeprefix(prefix)
        if "." in name or (values[row.name] is None and row.default is None):
            continue  # unset, no default: the class's own default
        out[name] = values[row.name]
    return out
