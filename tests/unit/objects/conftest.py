"""Import zerodown.objects first: it loads oslo.versionedobjects without the
eventlet deprecation warning that o.vo's own import chain emits.

The fuzz tests count their inputs in ``fuzz_counts``; the count goes into
the run's summary, where CI shows it (issue 12 asks that each run state
how many inputs it fuzzed)."""

from __future__ import annotations

import collections
from typing import Any

import pytest

import zerodown.objects  # noqa: F401

_COUNTS: collections.Counter[str] = collections.Counter()


@pytest.fixture
def fuzz_counts() -> collections.Counter[str]:
    """Inputs fed to each path under fuzzing, for the summary."""
    return _COUNTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _COUNTS:
        counts = ", ".join(
            f"{n:,} {what}" for what, n in sorted(_COUNTS.items())
        )
        terminalreporter.write_line(f"wire codec fuzzing: {counts}")
