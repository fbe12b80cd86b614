"""Benchmark behind the choice of msgspec for the HTTP shapes (docs/CONTRACT.md): msgspec and
cattrs turning a JSON body into the same frozen attrs class, valid and invalid, side by side.

Run: `.venv/bin/pip install cattrs && .venv/bin/python bench/shape_libraries.py` (cattrs is
not a dependency of Ballast; it is installed only to re-run this comparison).
"""

import json
import platform
import sys
import timeit
from importlib.metadata import version
from pathlib import Path
from typing import Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from entrypoints.api.auth_shapes import NewUser

ROUNDS = 100_000
VALID = {"username": "alice", "password": "correct horse battery staple", "roles": ["service"]}
INVALID = {"username": "bad name", "password": 5, "roles": ["root"]}


def best(run: Any) -> float:
    """Best of 5 rounds, in microseconds per call."""
    return min(timeit.repeat(run, number=ROUNDS, repeat=5)) / ROUNDS * 1e6


def main() -> None:
    import cattrs
    from cattrs.errors import ClassValidationError

    converter = cattrs.Converter(forbid_extra_keys=False)
    raw = json.dumps(VALID).encode()
    libraries = ", ".join(f"{name} {version(name)}" for name in ("msgspec", "cattrs", "attrs"))
    print(f"Python {platform.python_version()}, {libraries}")
    m_dict = best(lambda: msgspec.convert(VALID, NewUser))
    c_dict = best(lambda: converter.structure(VALID, NewUser))
    m_raw = best(lambda: msgspec.json.decode(raw, type=NewUser))
    c_raw = best(lambda: converter.structure(json.loads(raw), NewUser))
    print(
        f"dict -> NewUser:  msgspec {m_dict:.2f} us, cattrs {c_dict:.2f} us "
        f"(cattrs/msgspec {c_dict / m_dict:.1f}x)"
    )
    print(
        f"bytes -> NewUser: msgspec {m_raw:.2f} us, json+cattrs {c_raw:.2f} us "
        f"(cattrs/msgspec {c_raw / m_raw:.1f}x)"
    )
    try:
        msgspec.convert(INVALID, NewUser)
    except msgspec.ValidationError as e:
        print(f"msgspec on {INVALID}: {e}")
    try:
        print("cattrs accepted:", converter.structure(INVALID, NewUser))
    except ClassValidationError as e:
        print(f"cattrs on {INVALID}: {cattrs.transform_error(e)}")
    print("JSON Schema: msgspec.json.schema(NewUser) =", json.dumps(msgspec.json.schema(NewUser)))
    print("JSON Schema: cattrs has none:", [n for n in dir(cattrs) if "schema" in n.lower()])


if __name__ == "__main__":
    main()
