"""Test modules load with ``--import-mode=importlib`` (two test files in
different folders may share a basename).  Helper modules that sit beside
the tests (``apps.py``, ``sample_objects.py``...) are imported by name, so
their folders go on ``sys.path``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).parent
for _folder in sorted(
    {
        path.parent
        for path in _HERE.rglob("*.py")
        if not path.name.startswith(("test_", "conftest"))
    }
):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))


# -- fuzzing counts ------------------------------------------------------------
# Fuzz tests say what they fed and how much, in the run's summary, so the
# output of every CI run states what was fuzzed and how much.  The lines
# travel as the test's user properties, which pytest-xdist brings back
# from its workers.

_FUZZ = "zerodown-fuzz"


@pytest.fixture
def fuzz_count(record_property):
    """``fuzz_count(target, n, detail="")``: ``n`` inputs went to
    ``target``; shown in the run's summary."""

    def record(target: str, count: int, detail: str = "") -> None:
        line = f"{target}: {count:,} inputs" + (
            f"; {detail}" if detail else ""
        )
        record_property(_FUZZ, line)

    return record


def pytest_terminal_summary(terminalreporter):
    lines = [
        value
        for report in terminalreporter.stats.get("passed", [])
        for name, value in report.user_properties
        if name == _FUZZ
    ]
    if lines:
        terminalreporter.section("fuzzing")
        for line in lines:
            terminalreporter.write_line(line)
