"""Expand/contract schema migrations on Alembic.

The public API: the phases, the reasoned exceptions a revision may
declare (to the phase guard, :func:`allow`; to lint, :func:`waive`), the
command façade :mod:`~zerodown.migrations.command` and the hook a project's
``env.py`` calls, :func:`run_migrations`.
"""

from zerodown.migrations import command
from zerodown.migrations.env import run_migrations
from zerodown.migrations.guard import PhaseException, allow
from zerodown.migrations.lint.waivers import Waiver, waive
from zerodown.migrations.phases import Phase

__all__ = [
    "Phase",
    "PhaseException",
    "Waiver",
    "allow",
    "command",
    "run_migrations",
    "waive",
]
