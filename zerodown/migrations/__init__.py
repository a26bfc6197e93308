"""Expand/contract schema migrations on Alembic.

The public API: the phases, the reasoned exceptions a revision may
declare (to the phase guard, :func:`allow`; to lint, :func:`waive`), and
the command façade in :mod:`zerodown.migrations.api`.
"""

from zerodown.migrations.guard import PhaseException, allow
from zerodown.migrations.lint.waivers import Waiver, waive
from zerodown.migrations.phases import Phase

__all__ = ["Phase", "PhaseException", "Waiver", "allow", "waive"]
