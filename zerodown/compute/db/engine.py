"""The compute stack's database engine."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from zerodown.files import private_sqlite

__all__ = ["make_engine"]


def make_engine(url: str) -> sa.Engine:
    """An engine for a service; several processes share a SQLite file,
    so it waits for the file's lock instead of failing at once, and
    uses WAL so readers never block the writer."""
    engine = sa.create_engine(url, pool_pre_ping=True)
    private_sqlite(engine.url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.close()

    return engine
