"""Release 1's ``instances.image_ref``, read until the contract drops it.

Release 2 moved the column to ``instance_extra.image_ref``
(``zop.move_column``, expand revision ``5e2b7c4d1a90``).  Between that
expand and the end of ``zerodown db migrate``, rows written before the
expand have only the old copy, so reads take
``COALESCE(instance_extra.image_ref, instances.image_ref)`` while the old
column exists.  The contract gate drops it only once every row is
copied, so once it is gone the new column alone is complete.

The contract may drop it under a running service that still selects
it: that read fails with the database's "no such column", and
:meth:`ImageRefFallback.transaction` runs the whole transaction again,
once, without the old column.  Nothing else is retried.

This module is all of release 1's compatibility in the data layer: the
release that no longer upgrades from release 1 deletes it, and
:class:`~zerodown.compute.db.api.ComputeDB` reads
:data:`~zerodown.compute.db.instances.IMAGE_REF` alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from zerodown.compute.db.instances import IMAGE_REF
from zerodown.compute.db.models import INSTANCE_EXTRA

__all__ = ["ImageRefFallback"]

T = TypeVar("T")

#: What SQLite and MariaDB (OperationalError) and PostgreSQL
#: (ProgrammingError) raise for a column that does not exist.
_UNKNOWN_COLUMN = (sa.exc.OperationalError, sa.exc.ProgrammingError)

_LEGACY = sa.literal_column("instances.image_ref", sa.String)


class ImageRefFallback:
    """Whether release 1's column is still there, and the reads that
    follow it.

    ``present`` is None until first looked at; once False it stays
    False (a dropped column never comes back).  Threads share it: each
    write of it stores what the database said, so a race costs at most
    one more look.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.present: bool | None = None

    def transaction(
        self, work: Callable[[sa.Connection, sa.ColumnElement[Any]], T]
    ) -> T:
        """``work(conn, image_ref)`` in one transaction, ``image_ref``
        being what its reads select; run again in a new transaction,
        once, if the contract dropped release 1's column under it."""
        try:
            return self._once(work)
        except _UNKNOWN_COLUMN as err:
            if not self._dropped_under(err):
                raise
        return self._once(work)

    def _once(
        self, work: Callable[[sa.Connection, sa.ColumnElement[Any]], T]
    ) -> T:
        with self.engine.begin() as conn:
            return work(conn, self._column(conn))

    def _column(self, conn: sa.Connection) -> sa.ColumnElement[Any]:
        if self.present is None:
            self.present = _has_column(conn)
        if not self.present:
            return IMAGE_REF
        return sa.func.coalesce(INSTANCE_EXTRA.c.image_ref, _LEGACY).label(
            "image_ref"
        )

    def _dropped_under(self, err: sa.exc.DBAPIError) -> bool:
        """Whether ``err`` is a read of the old column that is gone now
        (the database names the column; a look confirms it)."""
        if not self.present or "image_ref" not in str(err.orig):
            return False
        # A new connection: ``err`` may have aborted the transaction.
        with self.engine.connect() as conn:
            self.present = _has_column(conn)
        return not self.present


def _has_column(conn: sa.Connection) -> bool:
    columns = sa.inspect(conn).get_columns("instances")
    return any(c["name"] == "image_ref" for c in columns)
