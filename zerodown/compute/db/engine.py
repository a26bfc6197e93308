"""The compute stack's database engine."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from zerodown.files import private_sqlite

__all__ = ["make_engine"]


def make_engine(url: str) -> sa.Engine:
    """An engine for a service; several processes share a SQLite file,
    so it waits for the file's lock instead of failing at once, and
    uses WAL so readers never block the writer.  psycopg prepares no
    statement on the server: PostgreSQL refuses a statement prepared
    before a column it returns changed type ("cached plan must not
    change result type"), as release 3's swap of the widened
    instances.id does under running services."""
    connect_args: dict[str, Any] = {}
    if sa.make_url(url).get_driver_name() == "psycopg":
        connect_args["prepare_threshold"] = None
    engine = sa.create_engine(
        url, pool_pre_ping=True, connect_args=connect_args
    )
    private_sqlite(engine.url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.close()

    return engine
