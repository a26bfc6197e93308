"""Lint one revision script written from a test's snippet (no database)."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from zerodown.migrations.lint import Finding, LintOptions, lint

TEMPLATE = '''"""a revision under test"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

from zerodown.migrations import allow, waive
from zerodown.migrations.operations import zop

revision = "{revision}"
down_revision = None
{header}

def upgrade():
{body}


def downgrade():
    pass
'''

LintUpgrade = Callable[..., list[Finding]]


@pytest.fixture
def lint_upgrade(tmp_path: Path) -> LintUpgrade:
    """``lint_upgrade(body, dialect, version, phase=..., header=...)``
    writes a revision whose ``upgrade()`` is ``body`` into
    ``versions/<phase>/`` and lints it."""
    numbers = itertools.count()

    def run(
        body: str,
        dialect: str = "postgresql",
        version: str | None = None,
        *,
        phase: str = "expand",
        header: str = "",
        options: LintOptions | None = None,
        rule: str | None = None,
    ) -> list[Finding]:
        folder = tmp_path / "versions" / phase
        folder.mkdir(parents=True, exist_ok=True)
        revision = f"r{next(numbers)}"
        script = folder / f"{revision}_test.py"
        script.write_text(
            TEMPLATE.format(
                revision=revision,
                header=textwrap.dedent(header),
                body=textwrap.indent(textwrap.dedent(body).strip(), "    "),
            )
        )
        found = lint(script, dialect, version, options=options)
        return [f for f in found if rule is None or f.rule == rule]

    return run


@pytest.fixture
def severities(lint_upgrade: LintUpgrade) -> Callable[..., list[str]]:
    """``severities(rule, body, dialect, version, **kw)``: the severities
    of ``rule``'s unwaived findings, in order."""

    def run(rule: str, *args: object, **kwargs: object) -> list[str]:
        found = lint_upgrade(*args, rule=rule, **kwargs)
        return [str(f.severity) for f in found if f.waived is None]

    return run
