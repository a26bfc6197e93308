"""The backfill benchmark's database: a Nova-like ``instances`` table.

One class per backend knows how to create the benchmark's own database,
fill ``instances`` server-side (``generate_series`` / MariaDB's sequence
engine) and write the migration's SQL: ~230 bytes of NUMA JSON a row,
and ``extra = '{"numa":' || numa_topology || '}'`` grows each by ~240 B
(bench/README.md says how the rows were chosen).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DATABASE = "zerodown_bench_backfill"

# ~230 bytes, varied per row (n is the row number).
NUMA = (
    '{{"cells": [{{"id": 0, "cpus": [0, 1, 2, 3], "memory": {a}, '
    '"pagesize": 4, "siblings": [[0, 1], [2, 3]], "pinned": []}}, '
    '{{"id": 1, "cpus": [4, 5, 6, 7], "memory": {b}, "pagesize": 4, '
    '"siblings": [[4, 5], [6, 7]], "pinned": []}}], "emulator": null}}'
)


@dataclass
class Backend:
    """One database server, and the benchmark database on it."""

    name: ClassVar[str]
    label: ClassVar[str]
    server_url: str
    database: str = DATABASE

    @property
    def url(self) -> str:
        url = make_url(self.server_url).set(database=self.database)
        return url.render_as_string(hide_password=False)

    def admin(self) -> sa.Engine:
        return sa.create_engine(
            self.server_url, isolation_level="AUTOCOMMIT", future=True
        )

    def engine(self) -> sa.Engine:
        return sa.create_engine(
            self.url, isolation_level="AUTOCOMMIT", future=True
        )

    def create_database(self) -> None:
        engine = self.admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(self.drop_sql())
            conn.exec_driver_sql(f"CREATE DATABASE {self.database}")
        engine.dispose()

    def drop_database(self) -> None:
        engine = self.admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(self.drop_sql())
        engine.dispose()

    def populate(self, rows: int) -> float:
        """A fresh ``instances`` of ``rows`` rows; returns seconds taken."""
        started = time.monotonic()
        engine = self.engine()
        with engine.connect() as conn:
            for statement in self.fill_sql(rows):
                conn.exec_driver_sql(statement)
        engine.dispose()
        return time.monotonic() - started

    update_expr: ClassVar[str]

    def drop_sql(self) -> str:
        return f"DROP DATABASE IF EXISTS {self.database}"

    def fill_sql(self, rows: int) -> list[str]:
        raise NotImplementedError

    def writer_dsn(self) -> dict[str, object]:
        url = make_url(self.url)
        return {
            "host": url.host or "127.0.0.1",
            "port": url.port,
            "user": url.username,
            "password": url.password or "",
            "database": self.database,
        }


class PostgreSQL(Backend):
    name = "postgresql"
    label = "PostgreSQL"

    def drop_sql(self) -> str:
        return f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"

    update_expr = "'{\"numa\":' || numa_topology || '}'"

    def fill_sql(self, rows: int) -> list[str]:
        numa = NUMA.format(
            a="' || mod(n, 4096) || '", b="' || mod(n, 2048) || '"
        )
        return [
            "DROP TABLE IF EXISTS instances",
            "DROP TABLE IF EXISTS zerodown_data_migrations",
            "CREATE TABLE instances (id bigserial PRIMARY KEY, uuid "
            "char(36) NOT NULL, host varchar(255) NOT NULL, vcpus int NOT "
            "NULL, memory_mb int NOT NULL, numa_topology text NOT NULL, "
            "extra text NULL, updated_at timestamp NOT NULL)",
            "INSERT INTO instances (uuid, host, vcpus, memory_mb, "
            "numa_topology, updated_at) SELECT gen_random_uuid()::text, "
            "'host-' || mod(n, 100), 1 + mod(n, 8), 512 * (1 + mod(n, 16)), "
            f"'{numa}', now() FROM generate_series(1, {rows}) AS n",
            "VACUUM ANALYZE instances",
            "CHECKPOINT",
        ]


class MariaDB(Backend):
    name = "mariadb"
    label = "MariaDB"
    update_expr = "CONCAT('{\"numa\":', numa_topology, '}')"

    def fill_sql(self, rows: int) -> list[str]:
        numa = NUMA.format(a="', MOD(seq, 4096), '", b="', MOD(seq, 2048), '")
        return [
            "DROP TABLE IF EXISTS instances",
            "DROP TABLE IF EXISTS zerodown_data_migrations",
            "CREATE TABLE instances (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
            "uuid char(36) NOT NULL, host varchar(255) NOT NULL, vcpus int "
            "NOT NULL, memory_mb int NOT NULL, numa_topology text NOT "
            "NULL, extra text NULL, updated_at timestamp NOT NULL)",
            "INSERT INTO instances (uuid, host, vcpus, memory_mb, "
            "numa_topology, updated_at) SELECT UUID(), CONCAT('host-', "
            "MOD(seq, 100)), 1 + MOD(seq, 8), 512 * (1 + MOD(seq, 16)), "
            f"CONCAT('{numa}'), NOW() FROM seq_1_to_{rows}",
            "ANALYZE TABLE instances",
        ]


BACKENDS: dict[str, type[Backend]] = {
    cls.name: cls for cls in (PostgreSQL, MariaDB)
}
