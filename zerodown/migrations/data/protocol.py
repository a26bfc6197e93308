"""What a data migration is: Nova's ``(context, max_count) -> (found, done)``.

A data migration moves at most ``max_count`` rows a call and says how many
rows it found that need moving and how many it moved.  The runner calls it
batch after batch, each call in its own transaction, until a call finds
nothing::

    from zerodown.migrations.data import data_migration

    @data_migration(description="lower-case every e-mail address")
    def lower_emails(ctx, max_count):
        rows = ctx.connection.execute(
            sa.text(
                "SELECT id FROM users WHERE email <> LOWER(email) "
                "AND id > :after ORDER BY id LIMIT :n"
            ),
            {"after": ctx.cursor.get("after", 0), "n": max_count},
        ).all()
        ...
        ctx.cursor["after"] = rows[-1].id if rows else ...
        return len(rows), done

``ctx.cursor`` is a JSON-serialisable dict that the runner stores with the
batch, in the batch's own transaction: whatever the function changed and
the cursor it leaves commit together or not at all, so a run killed at any
moment resumes where it stopped and applies nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, overload, runtime_checkable

import sqlalchemy as sa

__all__ = [
    "DataContext",
    "DataMigration",
    "Estimating",
    "FunctionMigration",
    "MigrationFunction",
    "data_migration",
]


@dataclass
class DataContext:
    """What a data migration gets for one batch.

    :param connection: inside the batch's own transaction; do not commit
        or roll back, the runner does.
    :param cursor: where the previous batch stopped, as the function left
        it (``{}`` on the first call); update it in place.
    :param name: the migration's name.
    """

    connection: sa.Connection
    cursor: dict[str, Any] = field(default_factory=dict)
    name: str = ""

    @property
    def dialect(self) -> str:
        """The backend's name: ``postgresql``, ``mysql`` or ``sqlite``."""
        return str(self.connection.dialect.name)


@runtime_checkable
class DataMigration(Protocol):
    """A named callable ``(ctx, max_count) -> (found, done)``.

    ``found``: rows this call saw that need migrating (at most
    ``max_count``); ``0`` means the migration is complete.  ``done``: rows
    it migrated.  ``found > 0`` with ``done == 0`` and an unchanged cursor
    means "found rows it cannot migrate": the runner stops calling it for
    this run, as Nova does.
    """

    @property
    def name(self) -> str: ...

    def __call__(self, ctx: DataContext, max_count: int) -> tuple[int, int]:
        """Migrate at most ``max_count`` rows; return ``(found, done)``."""
        ...


@runtime_checkable
class Estimating(Protocol):
    """A data migration that can count what is left (for progress bars)."""

    def estimate(
        self, connection: sa.Connection, cursor: dict[str, Any]
    ) -> int | None:
        """Rows still to migrate after ``cursor``, or None if unknown."""
        ...


MigrationFunction = Callable[[DataContext, int], tuple[int, int]]


@dataclass(frozen=True)
class FunctionMigration:
    """A plain function made a :class:`DataMigration`."""

    function: MigrationFunction
    name: str
    description: str = ""

    def __call__(self, ctx: DataContext, max_count: int) -> tuple[int, int]:
        return self.function(ctx, max_count)


@overload
def data_migration(
    name: MigrationFunction,
) -> FunctionMigration: ...


@overload
def data_migration(
    name: str | None = None, description: str = ""
) -> Callable[[MigrationFunction], FunctionMigration]: ...


def data_migration(
    name: str | MigrationFunction | None = None, description: str = ""
) -> FunctionMigration | Callable[[MigrationFunction], FunctionMigration]:
    """Make a function ``(ctx, max_count) -> (found, done)`` a migration.

    Used as ``@data_migration`` or ``@data_migration(name, description)``;
    the name defaults to the function's name.  Names are unique across a
    project and must stay stable across releases: progress is stored
    under them.  List the result in a revision module's
    ``data_migrations`` or in a module named by the ``data_migrations``
    setting.
    """
    if callable(name):
        return _wrap(name, None, description)

    def decorate(function: MigrationFunction) -> FunctionMigration:
        return _wrap(function, name, description)

    return decorate


def _wrap(
    function: MigrationFunction, name: str | None, description: str
) -> FunctionMigration:
    if name is None:
        name = str(getattr(function, "__name__", function))
    doc = (getattr(function, "__doc__", None) or "").strip()
    return FunctionMigration(
        function, name, description or (doc.splitlines()[0] if doc else "")
    )
