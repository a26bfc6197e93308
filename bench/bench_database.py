"""A benchmark's own database on one server: created, filled, dropped.

The backfill and widening benchmarks each subclass :class:`Backend` with
their database's name and table (``fill_sql``); the server classes add
what differs per server.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url


@dataclass
class Backend:
    """One database server, and the benchmark database on it."""

    name: ClassVar[str]
    label: ClassVar[str]
    server_url: str
    database: str

    @property
    def url(self) -> str:
        url = make_url(self.server_url).set(database=self.database)
        return url.render_as_string(hide_password=False)

    def admin(self) -> sa.Engine:
        return sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url, isolation_level="AUTOCOMMIT")

    def create_database(self) -> None:
        """The benchmark database, empty (dropped first if it exists)."""
        self._admin(self.drop_sql(), f"CREATE DATABASE {self.database}")

    def drop_database(self) -> None:
        self._admin(self.drop_sql())

    def _admin(self, *statements: str) -> None:
        engine = self.admin()
        with engine.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        engine.dispose()

    def populate(self, rows: int, fresh: bool = False) -> float:
        """Run ``fill_sql(rows)`` (in a new database if ``fresh``);
        returns the seconds taken."""
        started = time.monotonic()
        if fresh:
            self.create_database()
        engine = self.engine()
        with engine.connect() as conn:
            for statement in self.fill_sql(rows):
                conn.exec_driver_sql(statement)
        engine.dispose()
        return time.monotonic() - started

    def drop_sql(self) -> str:
        return f"DROP DATABASE IF EXISTS {self.database}"

    def fill_sql(self, rows: int) -> list[str]:
        raise NotImplementedError

    def writer_dsn(self) -> dict[str, object]:
        """What a writer process connects with (its driver's own words)."""
        url = make_url(self.url)
        return {
            "host": url.host or "127.0.0.1",
            "port": url.port,
            "user": url.username,
            "password": url.password or "",
            "database": self.database,
        }


class PostgreSQLServer(Backend):
    name = "postgresql"
    label = "PostgreSQL"

    def drop_sql(self) -> str:
        # Writers of an aborted run may still be connected.
        return f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"


class MariaDBServer(Backend):
    name = "mariadb"
    label = "MariaDB"


B = TypeVar("B", bound=Backend)


def server_arguments(parser: argparse.ArgumentParser, database: str) -> None:
    """The options that say which servers a run uses, and its size."""
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="postgresql,mariadb")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument(
        "--mysql-url", default="mysql+pymysql://root@127.0.0.1:3306/"
    )
    parser.add_argument(
        "--database",
        default=database,
        help="the benchmark's own database (dropped and created)",
    )


def chosen(
    args: argparse.Namespace, backends: Mapping[str, type[B]]
) -> list[B]:
    """The backends ``--backends`` names, on their servers."""
    urls = {"postgresql": args.pg_url, "mariadb": args.mysql_url}
    return [
        backends[name](urls[name], args.database)
        for name in args.backends.split(",")
    ]
