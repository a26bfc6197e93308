"""Rendering for the terminal: the only place that prints tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

__all__ = ["console", "table"]


def console() -> Console:
    return Console(soft_wrap=True)


def table(*headers: str, rows: Iterable[Sequence[str]]) -> Table:
    result = Table(*headers, box=None, header_style="bold")
    for row in rows:
        result.add_row(*row)
    return result
