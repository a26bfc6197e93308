"""The ``zerodown_data_migrations`` table: one row per data migration.

It holds what survives a killed run: the cursor where the last committed
batch stopped and the totals found and done, written in the batch's own
transaction.  Online operations register their backfills here while their
expand revision runs (``kind = "online"``, with the backfill as JSON in
``spec``); migrations written in Python get their row on their first run
(``kind = "code"``).

The table is created on demand, on every backend, the first time anything
writes to it.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from zerodown.migrations.errors import InvalidDataMigration

__all__ = [
    "CODE",
    "COMPLETE",
    "FAILED",
    "ONLINE",
    "PENDING",
    "TABLE",
    "MigrationState",
    "claim",
    "dumps_cursor",
    "ensure_rows",
    "ensure_table",
    "exists",
    "finish_online",
    "finish_online_sql",
    "forget_online",
    "forget_online_sql",
    "load",
    "online_spec",
    "pending",
    "record_batch",
    "record_failure",
    "register_online",
    "register_online_sql",
]

LOG = logging.getLogger(__name__)

PENDING = "pending"
COMPLETE = "complete"
FAILED = "failed"
ONLINE = "online"
CODE = "code"

TABLE = sa.Table(
    "zerodown_data_migrations",
    sa.MetaData(),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("spec", sa.Text, nullable=True),
    sa.Column("revision", sa.String(255), nullable=True),
    sa.Column("cursor", sa.Text, nullable=False),
    sa.Column("found", sa.BigInteger, nullable=False),
    sa.Column("done", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
_C = TABLE.c


@dataclass(frozen=True)
class MigrationState:
    """One row of the state table."""

    name: str
    kind: str  # "online" or "code"
    spec: dict[str, Any] | None
    revision: str | None
    cursor: dict[str, Any]
    found: int
    done: int
    status: str  # "pending", "complete" or "failed"
    last_error: str | None
    updated_at: datetime.datetime

    @property
    def complete(self) -> bool:
        return self.status == COMPLETE


def exists(connection: sa.Connection) -> bool:
    return bool(sa.inspect(connection).has_table(TABLE.name))


def ensure_table(connection: sa.Connection) -> None:
    """Create the state table if it is missing."""
    if not exists(connection):
        LOG.info("creating %s", TABLE.name)
        TABLE.create(connection, checkfirst=True)


def register_online(
    connection: sa.Connection,
    name: str,
    spec: Mapping[str, Any],
    revision: str | None,
) -> None:
    """Record the backfill of an online operation (idempotent).

    Called by the operation's expand step inside the revision's own
    transaction.  Registering again keeps the progress made and refreshes
    ``spec`` and ``revision``.
    """
    ensure_table(connection)
    encoded = _dumps(spec, name)
    current = _row(connection, name)
    if current is None:
        connection.execute(
            TABLE.insert().values(
                _new_row(name, ONLINE, revision) | {"spec": encoded}
            )
        )
        return
    if current.kind != ONLINE:
        raise InvalidDataMigration(
            source=name,
            problem="an online operation and a code migration share this name",
        )
    connection.execute(
        TABLE.update()
        .where(_C.name == name)
        .values(spec=encoded, revision=revision, updated_at=_now())
    )


def forget_online(connection: sa.Connection, name: str) -> None:
    """Drop the record of an online backfill (its expand was rolled back)."""
    if exists(connection):
        connection.execute(
            TABLE.delete().where(_C.name == name, _C.kind == ONLINE)
        )


def finish_online(connection: sa.Connection, name: str) -> None:
    """Mark an online backfill complete for good (its contract ran).

    The columns it reads may be gone after contract, and a complete
    migration is never called again.
    """
    if exists(connection):
        connection.execute(
            TABLE.update()
            .where(_C.name == name)
            .values(status=COMPLETE, last_error=None, updated_at=_now())
        )


# --sql: what register_online, finish_online and forget_online do, as
# statements of a script (the same table and row, stamped when it runs).


def register_online_sql(
    name: str, spec: Mapping[str, Any], revision: str | None, dialect: str
) -> list[sa.Executable]:
    now = _script_now(dialect)
    row = _new_row(name, ONLINE, revision) | {
        "spec": _dumps(spec, name),
        "registered_at": now,
        "updated_at": now,
    }
    return [
        sa.schema.CreateTable(TABLE, if_not_exists=True),
        TABLE.insert().values(row),
    ]


def finish_online_sql(name: str, dialect: str) -> list[sa.Executable]:
    return [
        TABLE.update()
        .where(_C.name == name)
        .values(
            status=COMPLETE, last_error=None, updated_at=_script_now(dialect)
        )
    ]


def forget_online_sql(name: str) -> list[sa.Executable]:
    return [TABLE.delete().where(_C.name == name, _C.kind == ONLINE)]


def _script_now(dialect: str) -> Any:
    # UTC, as online rows are (MySQL's CURRENT_TIMESTAMP is local time).
    return sa.func.utc_timestamp() if dialect == "mysql" else sa.func.now()


def online_spec(connection: sa.Connection, name: str) -> dict[str, Any] | None:
    """The spec an online operation registered under ``name``, if any."""
    if not exists(connection):
        return None
    row = _row(connection, name)
    return None if row is None else row.spec


def load(connection: sa.Connection) -> dict[str, MigrationState]:
    """Every row, by name, in registration order."""
    if not exists(connection):
        return {}
    query = TABLE.select().order_by(_C.registered_at, _C.name)
    return {
        row.name: _state(row._mapping) for row in connection.execute(query)
    }


def pending(connection: sa.Connection) -> list[MigrationState]:
    """The migrations recorded as not complete (pending or failed)."""
    return [s for s in load(connection).values() if not s.complete]


def ensure_rows(
    connection: sa.Connection, named: Iterable[tuple[str, str | None]]
) -> None:
    """Give each ``(name, revision)`` code migration its row."""
    ensure_table(connection)
    known = set(connection.execute(sa.select(_C.name)).scalars())
    for name, revision in named:
        if name not in known:
            connection.execute(
                TABLE.insert().values(_new_row(name, CODE, revision))
            )
            known.add(name)


def claim(connection: sa.Connection, name: str) -> MigrationState:
    """Lock ``name``'s row for this transaction and read it.

    Two runners never work on one migration at once: the second waits for
    the first one's batch (on SQLite it fails as busy and retries).
    """
    query = TABLE.select().where(_C.name == name).with_for_update()
    row = connection.execute(query).one_or_none()
    if row is None:
        raise InvalidDataMigration(
            source=name, problem=f"it has no row in {TABLE.name}"
        )
    return _state(row._mapping)


def record_batch(
    connection: sa.Connection,
    name: str,
    cursor: str,
    found: int,
    done: int,
    complete: bool,
) -> None:
    """Store one batch's outcome, inside the batch's transaction."""
    connection.execute(
        TABLE.update()
        .where(_C.name == name)
        .values(
            cursor=cursor,
            found=_C.found + found,
            done=_C.done + done,
            status=COMPLETE if complete else PENDING,
            last_error=None,
            updated_at=_now(),
        )
    )


def record_failure(connection: sa.Connection, name: str, error: str) -> None:
    """Mark ``name`` failed with ``error``, in a transaction of its own."""
    with connection.begin():
        connection.execute(
            TABLE.update()
            .where(_C.name == name)
            .values(status=FAILED, last_error=error, updated_at=_now())
        )


def dumps_cursor(cursor: Mapping[str, Any], name: str) -> str:
    """``cursor`` as stored; a cursor JSON cannot carry is refused."""
    return _dumps(cursor, name)


def _row(connection: sa.Connection, name: str) -> MigrationState | None:
    row = connection.execute(
        TABLE.select().where(_C.name == name)
    ).one_or_none()
    return None if row is None else _state(row._mapping)


def _state(row: sa.RowMapping) -> MigrationState:
    return MigrationState(
        name=row["name"],
        kind=row["kind"],
        spec=json.loads(row["spec"]) if row["spec"] else None,
        revision=row["revision"],
        cursor=json.loads(row["cursor"]),
        found=int(row["found"]),
        done=int(row["done"]),
        status=row["status"],
        last_error=row["last_error"],
        updated_at=row["updated_at"],
    )


def _new_row(name: str, kind: str, revision: str | None) -> dict[str, Any]:
    now = _now()
    return {
        "name": name,
        "kind": kind,
        "revision": revision,
        "cursor": "{}",
        "found": 0,
        "done": 0,
        "status": PENDING,
        "registered_at": now,
        "updated_at": now,
    }


def _dumps(value: Mapping[str, Any], name: str) -> str:
    try:
        return json.dumps(dict(value), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise InvalidDataMigration(
            source=name, problem=f"its cursor or spec is not JSON: {err}"
        ) from err


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
