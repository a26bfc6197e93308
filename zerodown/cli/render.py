"""Rendering for the terminal: the only place that prints tables."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

__all__ = ["console", "table"]


def console() -> Console:
    # Piped output (scripts, CI logs) is never wrapped mid-cell.
    wide = None if sys.stdout.isatty() else 10_000
    return Console(soft_wrap=True, width=wide)


def table(*headers: str, rows: Iterable[Sequence[str]]) -> Table:
    result = Table(*headers, box=None, header_style="bold")
    for row in rows:
        result.add_row(*row)
    return result
