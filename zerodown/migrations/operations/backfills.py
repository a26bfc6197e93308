"""Where online operations hand their backfills to ``zerodown db migrate``.

Expand records the backfill (a :class:`Backfill`, plain data) in the
data-migration state table, in the revision's own transaction;
``zerodown db migrate`` turns it into a keyset-paginated batched UPDATE
with :func:`resolve`; contract marks it finished and rolling expand back
forgets it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from zerodown.migrations.operations.base import Backfill

__all__ = ["facts", "finish", "forget", "register", "resolve"]


def register(connection: sa.Connection, work: Backfill, revision: str) -> None:
    from zerodown.migrations import data  # TEMP until data lands

    data.register_online(connection, work.name, work.spec(), revision)


def forget(connection: sa.Connection, work: Backfill) -> None:
    from zerodown.migrations import data  # TEMP until data lands

    data.forget_online(connection, work.name)


def finish(connection: sa.Connection, work: Backfill) -> None:
    from zerodown.migrations import data  # TEMP until data lands

    data.finish_online(connection, work.name)


def facts(connection: sa.Connection, name: str) -> dict[str, Any]:
    """What expand recorded about the backfill called ``name``."""
    from zerodown.migrations import data  # TEMP until data lands

    spec = data.online_spec(connection, name)
    return dict(spec.get("facts", {})) if spec else {}


def resolve(spec: dict[str, Any], connection: sa.Connection) -> Any:
    """The data migration that performs a recorded backfill."""
    from zerodown.migrations import data  # TEMP until data lands

    work = Backfill.from_spec(spec)
    key = sa.inspect(connection).get_pk_constraint(work.table)
    return data.KeysetBackfill(
        name=work.name,
        table=work.table,
        key=tuple(key["constrained_columns"]),
        assignments=work.assignments,
        where=work.where,
    )
