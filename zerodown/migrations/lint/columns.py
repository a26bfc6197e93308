"""What an added column asks of the database: its default, its kind."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = [
    "default_sql",
    "is_auto_increment",
    "is_stored_generated",
    "render_type",
    "type_of",
]


def _dialect(family: str) -> sa.Dialect:
    return sa.engine.make_url(f"{family}://").get_dialect()()


def default_sql(column: sa.Column[Any], family: str) -> str | None:
    """The SQL of ``column``'s server default, or None if it has none.

    A plain string default is a quoted literal, as Alembic renders it.
    """
    default = column.server_default
    if not isinstance(default, sa.DefaultClause):
        return None
    arg = default.arg
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    if isinstance(arg, sa.TextClause):
        return arg.text
    compiled = arg.compile(
        dialect=_dialect(family), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def is_auto_increment(column: sa.Column[Any]) -> bool:
    """True when every existing row needs a generated number."""
    if isinstance(column.server_default, sa.Identity) or isinstance(
        column.default, sa.Sequence
    ):
        return True
    return bool(
        column.primary_key
        and column.autoincrement in (True, "auto")
        and isinstance(column.type, sa.Integer)
    )


def is_stored_generated(column: sa.Column[Any], family: str) -> bool:
    """True for a generated column whose values are stored per row.

    Without ``persisted``, PostgreSQL stores (it has nothing else) and
    MySQL, MariaDB and SQLite compute on read (VIRTUAL).
    """
    computed = column.computed
    if computed is None:
        return False
    if computed.persisted is None:
        return family == "postgresql"
    return bool(computed.persisted)


def render_type(type_: sa.types.TypeEngine[Any], family: str) -> str:
    """``type_`` as ``family``'s DDL names it (``DATETIME`` on MySQL for
    ``sa.DateTime(timezone=True)``, which MySQL has no other type for)."""
    try:
        return str(type_.compile(dialect=_dialect(family)))
    except Exception:  # a type this dialect cannot render as it is
        return repr(type_)


def type_of(value: Any) -> sa.types.TypeEngine[Any] | None:
    """A SQLAlchemy type instance from a type or type class, else None."""
    if isinstance(value, type) and issubclass(value, sa.types.TypeEngine):
        return value()
    if isinstance(value, sa.types.TypeEngine):
        return value
    return None
