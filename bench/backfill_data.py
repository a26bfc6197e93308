"""The backfill benchmark's database: a Nova-like ``instances`` table.

One class per backend (on :mod:`bench_database`) fills ``instances``
server-side (``generate_series`` / MariaDB's sequence engine) and writes
the migration's SQL: ~230 bytes of NUMA JSON a row, and
``extra = '{"numa":' || numa_topology || '}'`` grows each by ~240 B
(bench/README.md says how the rows were chosen).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import bench_database

DATABASE = "zerodown_bench_backfill"

# ~230 bytes, varied per row (n is the row number).
NUMA = (
    '{{"cells": [{{"id": 0, "cpus": [0, 1, 2, 3], "memory": {a}, '
    '"pagesize": 4, "siblings": [[0, 1], [2, 3]], "pinned": []}}, '
    '{{"id": 1, "cpus": [4, 5, 6, 7], "memory": {b}, "pagesize": 4, '
    '"siblings": [[4, 5], [6, 7]], "pinned": []}}], "emulator": null}}'
)


@dataclass
class Backend(bench_database.Backend):
    """The backfill benchmark's database on one server."""

    database: str = DATABASE
    #: The migration's new value of ``extra``, in the server's SQL.
    update_expr: ClassVar[str]


class PostgreSQL(Backend, bench_database.PostgreSQLServer):
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


class MariaDB(Backend, bench_database.MariaDBServer):
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
