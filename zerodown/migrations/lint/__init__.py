"""Lint for revision scripts: what each operation does to running traffic.

:func:`lint` reads revision scripts without importing them, and each
rule (one module each in :mod:`.rules`) judges their operations with a
:class:`~.dialects.DialectProfile` of the target backend and server
version: which lock an operation takes, whether it rewrites the table,
whether it breaks the release that is still running, and whether it is
in the right phase.  Every finding names the safe recipe, usually one of
zerodown's online operations (``zop.<name>``).  A revision waives a
finding explicitly, per operation and with a reason (:func:`waive`).
"""

from __future__ import annotations

from zerodown.migrations.lint import profiles as _profiles  # noqa: F401
from zerodown.migrations.lint.dialects import DialectProfile
from zerodown.migrations.lint.engine import lint, pending_errors, server_of
from zerodown.migrations.lint.findings import Finding, Severity, blocking
from zerodown.migrations.lint.rules import LintOptions, Rule, all_rules
from zerodown.migrations.lint.waivers import Waiver, waive

__all__ = [
    "DialectProfile",
    "Finding",
    "LintOptions",
    "Rule",
    "Severity",
    "Waiver",
    "all_rules",
    "blocking",
    "lint",
    "pending_errors",
    "server_of",
    "waive",
]
