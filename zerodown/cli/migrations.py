"""``zerodown init`` and ``zerodown db ...``: the migration engine's CLI."""

from __future__ import annotations

import click

from zerodown.cli import main


@main.group()
def db() -> None:
    """Expand/contract schema migrations."""
