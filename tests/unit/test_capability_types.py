"""The capability table is typed by port: mypy refuses a row whose adapter does not
implement the port it is wired to (the builders used to return Any)."""

import textwrap
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parent.parent.parent

ROW = """
from adapters.memory.rates import MemoryRateCache, MemoryRateHistoryStore
from domain.ports import RateCache
from entrypoints.capabilities import Capability

row = Capability(
    RateCache,
    "rates",
    memory=lambda p: {memory},
    redis=lambda p, b: {memory},
    policy=None,
    journaled=False,
)
"""


def check(tmp_path: Path, memory: str) -> tuple[str, int]:
    snippet = tmp_path / "row.py"
    snippet.write_text(textwrap.dedent(ROW.format(memory=memory)))
    out, err, status = api.run(
        [
            "--strict",
            "--disable-error-code=type-abstract",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--no-error-summary",
            str(snippet),
        ]
    )
    return out + err, status


@pytest.mark.slow
def test_mypy_refuses_a_row_wired_to_the_wrong_port_and_accepts_the_right_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    wrong, status = check(tmp_path, "MemoryRateHistoryStore()")
    assert status == 1
    assert 'expected "Callable[[Parts], RateCache]"' in wrong

    right, status = check(tmp_path, "MemoryRateCache(p.clock)")
    assert status == 0, right
