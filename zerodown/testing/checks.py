"""Built-in checks of a project's expand/contract migrations.

Turn them on in one test module of the project::

    from zerodown.testing.checks import *  # noqa: F401,F403

They examine the ``alembic.ini`` named by the ``zerodown_alembic_ini`` ini
option and run on every backend chosen with ``--zerodown-backends``.  Each
says in its docstring which upgrade accident it prevents.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zerodown.config import Config, load_config
from zerodown.migrations import Phase, command
from zerodown.migrations.errors import UnsafeMigration
from zerodown.migrations.layout import Layout
from zerodown.migrations.lint import server_of
from zerodown.migrations.runtime import preflight
from zerodown.testing.backends import TestDatabase
from zerodown.testing.schema import snapshot

__all__ = [
    "test_zerodown_contract_depends_on_expand",
    "test_zerodown_expand_downgrade_leaves_no_trace",
    "test_zerodown_lint_clean",
    "test_zerodown_models_match_schema",
    "test_zerodown_one_head_per_branch",
    "test_zerodown_phases_hold",
    "test_zerodown_upgrade_walk",
]


def _config(ini: Path, database: TestDatabase | None = None) -> Config:
    overrides = {"database_url": database.url} if database else {}
    return load_config(ini, environ={}, overrides=overrides)


def _layout(ini: Path) -> Layout:
    return command.layout(_config(ini))


def _oldest_first(layout: Layout) -> list[str]:
    return [s.revision for s in reversed(layout.all_revisions())]


def test_zerodown_one_head_per_branch(zerodown_alembic_ini: Path) -> None:
    """Each branch has one head.

    Two heads mean two developers each added a revision on the same
    parent; ``expand@head`` is then ambiguous and one of them never runs.
    """
    layout = _layout(zerodown_alembic_ini)
    for phase in (Phase.EXPAND, Phase.CONTRACT):
        layout.head(phase)


def test_zerodown_contract_depends_on_expand(
    zerodown_alembic_ini: Path,
) -> None:
    """Every contract revision depends on an expand revision.

    Without ``depends_on`` a contract could run before the expand that
    made its removal safe, taking away what running code still reads.
    """
    _layout(zerodown_alembic_ini).validate()


def test_zerodown_phases_hold(
    zerodown_alembic_ini: Path, zerodown_db: TestDatabase
) -> None:
    """Expand revisions only add and contract revisions only remove.

    A drop in expand breaks the old release while it still serves; a
    creation in contract arrives after the new release needed it.  Each
    revision is rendered for this backend and checked, without a database.
    """
    layout = _layout(zerodown_alembic_ini)
    preflight(layout, _oldest_first(layout), zerodown_db.engine.dialect.name)


def test_zerodown_upgrade_walk(
    zerodown_alembic_ini: Path, zerodown_db: TestDatabase
) -> None:
    """Every revision applies, one at a time, from an empty database.

    Operators upgrade release by release, so each intermediate state must
    be reachable, not only the final one.
    """
    config = _config(zerodown_alembic_ini, zerodown_db)
    layout = command.layout(config)
    for revision in _oldest_first(layout):
        _apply(config, layout, revision)
    assert command.status(config).up_to_date


def test_zerodown_models_match_schema(
    zerodown_alembic_ini: Path, zerodown_db: TestDatabase
) -> None:
    """After all revisions, autogenerate finds nothing to change.

    A difference means a model changed without a revision, and the
    release would run against a schema it does not expect.
    """
    config = _config(zerodown_alembic_ini, zerodown_db)
    command.expand(config)
    command.contract(config)
    diff = command.model_diff(config)
    assert not diff, f"models and migrations differ: {diff}"


def test_zerodown_expand_downgrade_leaves_no_trace(
    zerodown_alembic_ini: Path, zerodown_db: TestDatabase
) -> None:
    """Each expand revision, undone, leaves the schema as it found it.

    Rolling back a release before contract is the operator's escape
    hatch; a leftover table or index would make the next attempt fail.
    """
    config = _config(zerodown_alembic_ini, zerodown_db)
    layout = command.layout(config)
    for revision in _oldest_first(layout):
        script = layout.revision(revision)
        if layout.phase_of(script) is Phase.EXPAND and script.down_revision:
            before = _snapshot(zerodown_db)
            _apply(config, layout, revision)
            command.downgrade(config, str(script.down_revision))
            after = _snapshot(zerodown_db)
            assert after == before, f"{revision} left a trace"
        _apply(config, layout, revision)


def test_zerodown_lint_clean(
    zerodown_alembic_ini: Path, zerodown_db: TestDatabase
) -> None:
    """Lint finds no error in any revision, for this backend's version.

    A plain CREATE INDEX, a column rename or a volatile default passes
    every check above on a small test database, then blocks writers for
    minutes or breaks the release still running in production.  Each
    revision is judged for this backend's server version; an operation
    that is safe all the same is waived in its revision, with the reason.
    """
    config = _config(zerodown_alembic_ini)
    with zerodown_db.engine.connect() as connection:
        dialect, version = server_of(connection)
    errors = command.lint_errors(
        config, dialect=dialect, server_version=version
    )
    if errors:
        raise UnsafeMigration(
            count=len(errors),
            findings=errors,
            summary="".join(
                f"\n  {e.where}: {e.rule}: {e.message}\n    fix: {e.recipe}"
                for e in errors
            ),
        )


def _apply(config: Config, layout: Layout, revision: str) -> None:
    phase = layout.phase_of(layout.revision(revision))
    if phase is Phase.CONTRACT:
        command.contract(config, revision)
    elif phase is Phase.EXPAND:
        command.expand(config, revision)
    else:
        pytest.fail(f"revision {revision} is on neither branch")


def _snapshot(database: TestDatabase) -> dict[str, object]:
    with database.engine.connect() as connection:
        return snapshot(connection)
