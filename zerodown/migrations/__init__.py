"""Expand/contract schema migrations on Alembic.

The public API: the phases, the reasoned exception a revision may declare,
and the command façade in :mod:`zerodown.migrations.api`.
"""

from zerodown.migrations.guard import PhaseException, allow
from zerodown.migrations.phases import Phase

__all__ = ["Phase", "PhaseException", "allow"]
