"""Opening the database, with one typed error for every way it can fail."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import pool
from sqlalchemy.engine import make_url

from zerodown.exceptions import ConfigError, DatabaseUnreachable
from zerodown.files import private_sqlite

__all__ = ["TRANSACTIONAL_SQLITE", "connect", "create_engine", "safe_url"]

# Marks a connection whose SQLite DDL is transactional (our recipe below).
TRANSACTIONAL_SQLITE = "zerodown_transactional_sqlite"


def safe_url(url: str) -> str:
    """``url`` with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<malformed URL>"


@contextlib.contextmanager
def connect(url: str | None) -> Iterator[sa.Connection]:
    """Connect to ``url`` or raise :class:`DatabaseUnreachable`."""
    if not url:
        raise ConfigError(
            problem="no database URL: set sqlalchemy.url or database_url in "
            "alembic.ini, ZERODOWN_DATABASE_URL, or --database-url"
        )
    engine = create_engine(url)
    try:
        try:
            connection = engine.connect()
        except sa.exc.DBAPIError as err:
            raise DatabaseUnreachable(
                url=safe_url(url), reason=_first_line(err.orig or err)
            ) from err
        with connection:
            yield connection
    finally:
        engine.dispose()


def create_engine(url: str) -> sa.Engine:
    """An engine for migrations: no pool, transactional DDL on SQLite."""
    try:
        engine = sa.create_engine(url, poolclass=pool.NullPool)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as err:
        raise ConfigError(
            problem=f"database URL {safe_url(url)}: {err}"
        ) from err
    private_sqlite(engine.url)
    if engine.dialect.name == "sqlite":
        _transactional_sqlite(engine)
    return engine


def _transactional_sqlite(engine: sa.Engine) -> None:
    # pysqlite commits before DDL on its own; taking BEGIN into our hands
    # (SQLAlchemy's documented recipe) makes a failed revision roll back
    # whole on SQLite, as on PostgreSQL.
    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        record.info[TRANSACTIONAL_SQLITE] = True

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # IMMEDIATE takes the write lock up front, waiting for it under
        # the busy timeout; a deferred BEGIN that has read and then writes
        # fails at once with "database is locked" while an application
        # writes (SQLite will not wait where it could deadlock).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
