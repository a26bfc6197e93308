"""Where online operations hand their backfills to ``zerodown db migrate``.

Expand records the backfill (a :class:`Backfill`, plain data) in the
data-migration state table, in the revision's own transaction;
``zerodown db migrate`` turns it into a keyset-paginated batched UPDATE
with :func:`resolve`; contract marks it finished and rolling expand back
forgets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations, ops

from zerodown.migrations import data
from zerodown.migrations.data import state
from zerodown.migrations.operations.base import Backfill
from zerodown.migrations.operations.cross_sync import QUIET_SQL
from zerodown.migrations.operations.reflected import Reflected
from zerodown.migrations.operations.shadow_copy import ShadowCopy

__all__ = [
    "Forget",
    "facts",
    "finish",
    "finish_sql",
    "forget",
    "forget_sql",
    "register",
    "register_sql",
    "resolve",
]


def register(connection: sa.Connection, work: Backfill, revision: str) -> None:
    data.register_online(connection, work.name, work.spec(), revision)


def forget(connection: sa.Connection, work: Backfill) -> None:
    data.forget_online(connection, work.name)


def register_sql(
    work: Backfill, revision: str, dialect: str
) -> list[sa.Executable]:
    """:func:`register` as statements of a ``--sql`` script."""
    return state.register_online_sql(work.name, work.spec(), revision, dialect)


def forget_sql(work: Backfill) -> list[sa.Executable]:
    return state.forget_online_sql(work.name)


def finish_sql(work: Backfill, dialect: str) -> list[sa.Executable]:
    return state.finish_online_sql(work.name, dialect)


class Forget(ops.MigrateOperation):
    """Forget the backfill ``name``: what undoes its registration when
    the expand that registered it fails (see
    :mod:`zerodown.migrations.undo`)."""

    def __init__(self, name: str) -> None:
        self.name = name


@Operations.implementation_for(Forget)
def _forget(operations: Operations, operation: Forget) -> None:
    data.forget_online(operations.get_bind(), operation.name)


def finish(connection: sa.Connection, work: Backfill) -> None:
    data.finish_online(connection, work.name)


def facts(connection: sa.Connection, name: str) -> dict[str, Any]:
    """What expand recorded about the backfill called ``name``."""
    spec = data.online_spec(connection, name)
    return dict(spec.get("facts", {})) if spec else {}


def resolve(
    spec: dict[str, Any], connection: sa.Connection
) -> data.DataMigration:
    """The data migration that performs a recorded backfill."""
    work = Backfill.from_spec(spec)
    key = Reflected(sa.inspect(connection)).get_pk_constraint(work.table)
    if work.copy_into is not None:
        return ShadowCopy(
            name=work.name,
            table=work.table,
            key=tuple(key["constrained_columns"]),
            assignments="",
            where=work.where,
            copy_into=work.copy_into,
        )
    return Quiet(
        data.KeysetBackfill(
            name=work.name,
            table=work.table,
            key=tuple(key["constrained_columns"]),
            assignments=work.assignments,
            where=work.where,
        )
    )


@dataclass(frozen=True)
class Quiet:
    """A backfill whose writes the dual-write triggers do not echo."""

    migration: data.KeysetBackfill

    @property
    def name(self) -> str:
        return self.migration.name

    def __call__(
        self, ctx: data.DataContext, max_count: int
    ) -> tuple[int, int]:
        on, off = QUIET_SQL.get(ctx.dialect, (None, None))
        if on:
            ctx.connection.exec_driver_sql(on)
        try:
            return self.migration(ctx, max_count)
        finally:
            if off:
                ctx.connection.exec_driver_sql(off)

    def estimate(
        self, connection: sa.Connection, cursor: dict[str, Any]
    ) -> int | None:
        return self.migration.estimate(connection, cursor)
