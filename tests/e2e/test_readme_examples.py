"""The README's examples, run as a newcomer would: every fenced `sh` block that calls the
API (holds `curl`), in order, in one shell, against a fresh `ballast serve` with the
development defaults (the admin password is the one it prints); then, in the same shell
(so they may use the README's `$ACCESS`), those of every page under docs/, in name order.
A `sh` block without `curl` is illustrative (it starts a server, needs a feed or a file)
and is not run; any other fence (```python, ```json, a bare one) is not run either. Where
a page shows an answer (`# -> ...`), the answer must have that shape: the same keys (all
of them unless the page writes `...` for more) holding values of the same JSON types."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import clean_env, serving

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# The README first, then the pages it links to: every page's API examples are run.
PAGES = (README, *sorted((ROOT / "docs").glob("*.md")))
EXAMPLE_BASE = "http://127.0.0.1:8000"
PASSWORD_PLACEHOLDER = "<the password printed at start>"
BLOCK = re.compile(r"^ *```sh\n(.*?)^ *```", re.S | re.M)
MARK = "@@README-STEP@@"
MORE = "@@more@@"


class Step:
    def __init__(self, code: list[str], expected: str | None) -> None:
        self.code = "\n".join(code)
        self.expected = expected


def steps(text: str) -> list[Step]:
    """The API blocks cut into steps: the code up to each shown answer, and that answer."""
    found: list[Step] = []
    for block in BLOCK.findall(text):
        if "curl" not in block:
            continue
        code: list[str] = []
        expected: list[str] | None = None
        for line in block.splitlines():
            if line.startswith("# -> "):
                expected = [line[5:]]
            elif expected is not None and re.match(r"#\s{2,}\S", line):
                expected.append(line[1:].strip())
            else:
                if expected is not None:
                    found.append(Step(code, " ".join(expected)))
                    code, expected = [], None
                code.append(line)
        found.append(Step(code, " ".join(expected) if expected is not None else None))
    return found


def shape_of(shown: str) -> Any:
    """The README's answer as JSON: `...` alone in an object or a list means "and more",
    `"..."` any value of its type; a leading HTTP status is dropped."""
    shown = re.sub(r"^\d{3}\s+", "", shown.strip())
    if re.fullmatch(r"\d{3}", shown):
        return int(shown)
    shown = re.sub(r"(?<=[{\[,])\s*\.\.\.\s*(?=[,}\]])", f' "{MORE}": true', shown)
    shown = re.sub(r'\[\s*"' + MORE + r'": true', "[", shown)  # in a list: nothing shown
    shown = re.sub(r',\s*"' + MORE + r'": true\s*\]', f', "{MORE}"]', shown)
    return json.loads(shown)


def conforms(answer: Any, shape: Any, where: str = "$") -> list[str]:
    """Where `answer` differs from `shape` (keys, and the JSON types of the values)."""
    if isinstance(shape, dict):
        if not isinstance(answer, dict):
            return [f"{where}: an object was shown, got {answer!r}"]
        more = shape.get(MORE, False)
        problems = [f"{where}.{k}: missing" for k in shape if k != MORE and k not in answer]
        if not more:
            problems += [f"{where}.{k}: not shown in the README" for k in answer if k not in shape]
        for key, value in shape.items():
            if key != MORE and key in answer:
                problems += conforms(answer[key], value, f"{where}.{key}")
        return problems
    if isinstance(shape, list):
        if not isinstance(answer, list):
            return [f"{where}: a list was shown, got {answer!r}"]
        items = [s for s in shape if s != MORE]
        if len(answer) < len(items):
            return [f"{where}: {len(items)} items shown, got {len(answer)}"]
        problems = []
        for i, item in enumerate(items):
            problems += conforms(answer[i], item, f"{where}[{i}]")
        return problems
    if type(answer) is not type(shape) and not (shape is None or answer is None):
        return [f"{where}: a {type(shape).__name__} was shown, got {answer!r}"]
    return []


def test_the_readme_steps_are_read_as_expected() -> None:
    cut = steps('```sh\n# a\ncurl -s x\n# -> {"a": 1,\n#     "b": "...", ...}\n\ncurl -s y\n```\n')
    assert [(s.code, s.expected) for s in cut] == [
        ("# a\ncurl -s x", '{"a": 1, "b": "...", ...}'),
        ("\ncurl -s y", None),
    ]
    assert conforms({"a": 2, "b": "x", "c": 1}, shape_of(cut[0].expected or "")) == []
    assert conforms({"a": "2", "b": "x"}, shape_of(cut[0].expected or "")) != []
    assert conforms({"b": "x"}, shape_of('{"a": 1, "b": "..."}')) == ["$.a: missing"]


@pytest.mark.slow
def test_every_readme_example_runs_in_order_and_answers_in_the_shape_shown(
    tmp_path: Path,
) -> None:
    readme = steps(README.read_text())
    assert any("/api/notifications" in s.code for s in readme), "a notification example"
    assert sum(s.expected is not None for s in readme) >= 5
    cut = [step for page in PAGES for step in steps(page.read_text())]
    assert any("/api/auth/introspect" in s.code for s in cut[len(readme) :]), "docs/ examples"
    with serving(tmp_path) as base:
        log = (tmp_path / "serve.log").read_text()
        password = re.search(r"development admin password: (\S+)", log)
        assert password is not None
        script = ["set -euo pipefail"]
        for step in cut:
            code = step.code.replace(EXAMPLE_BASE, base)
            code = code.replace(PASSWORD_PLACEHOLDER, password[1])
            script += [code, f"printf '\\n{MARK}\\n'"]
        result = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            capture_output=True,
            text=True,
            timeout=120,
            env=clean_env(),
            check=False,
        )
    outputs = result.stdout.split(f"\n{MARK}\n")
    assert result.returncode == 0, result.stderr + result.stdout[-2000:]
    problems = []
    for step, output in zip(cut, outputs, strict=False):
        if step.expected is None:
            continue
        text, command = output.strip(), step.code.strip().splitlines()[-1]
        try:
            shape = shape_of(step.expected)
        except ValueError:  # plain text shown (a `jq -r` value): the same text
            if text != step.expected.strip():
                problems.append(f"{command}: {step.expected!r} shown, got {text!r}")
            continue
        try:
            answer = json.loads(text)
        except ValueError:
            problems.append(f"{command}: JSON shown, got {text!r}")
            continue
        problems += [f"{command}: {problem}" for problem in conforms(answer, shape)]
    assert problems == []
